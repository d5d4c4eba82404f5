"""An account's own limits (a Mastodon instance's max_characters and media
limits), read by "Test connection" and enforced when copy is chosen."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0005_email_audience"),
    ]

    operations = [
        migrations.AddField(
            model_name="channelaccount",
            name="limits",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="This account's own limits (e.g. a Mastodon "
                "instance's); empty: the network's.",
            ),
        ),
    ]
