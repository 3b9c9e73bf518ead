from rest_framework import serializers

from notifications.models import EmailMode, Notification, kind_label


class NotificationSerializer(serializers.ModelSerializer):
    """A notification: `task` and `plan` for a task reminder or notice, `criteria_set` and `unit` for a
    round notice (SPEC §3a; the others null); `url` the page it is about."""

    kind_display = serializers.SerializerMethodField()
    url = serializers.CharField(read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_display",
            "task",
            "plan",
            "criteria_set",
            "unit",
            "title",
            "body",
            "due_date",
            "offset",
            "created_at",
            "read_at",
            "is_read",
            "url",
        ]
        read_only_fields = fields

    def get_kind_display(self, obj) -> str:
        return kind_label(obj.kind)

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)
