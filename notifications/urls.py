from django.urls import path

from . import views, views_feed

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("calendar/<slug:token>.ics", views_feed.calendar_feed, name="calendar_feed"),
    path("calendar/reset/", views_feed.calendar_feed_reset, name="calendar_feed_reset"),
    path("calendar/delete/", views_feed.calendar_feed_delete, name="calendar_feed_delete"),
]
