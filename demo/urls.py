from django.urls import path

from demo import views

app_name = "demo"
urlpatterns = [
    path("demo/inbox/", views.page, name="inbox"),
    path("demo/inbox/hook/<int:account_id>/", views.hook, name="inbox-hook"),
]
