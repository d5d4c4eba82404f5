"""A publishing claim's lease: the worker renews it while its call is in flight;
the sweep re-drives a row whose lease ran out (publishing/lease.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0008_subscriber_last_confirmation_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="lease_until",
            field=models.DateTimeField(
                blank=True, help_text="Its worker's claim holds until then.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="publication",
            index=models.Index(
                fields=["status", "lease_until"], name="publication_lease"
            ),
        ),
    ]
