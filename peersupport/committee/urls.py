from django.urls import path

from . import views

app_name = "committee"

urlpatterns = [
    path("", views.committee, name="current"),
    path("manage/", views.manage, name="manage"),
    path("seats/new/", views.seat_create, name="seat_create"),
    path("seats/<int:seat_id>/retire/", views.seat_retire, name="seat_retire"),
    path("seats/<int:seat_id>/appoint/", views.appoint, name="appoint"),
    path("members/<int:membership_id>/end/", views.member_end, name="member_end"),
    path("elections/new/", views.election_open, name="election_open"),
    path("elections/<int:election_id>/", views.election, name="election"),
    path("elections/<int:election_id>/stand/", views.stand, name="stand"),
    path("elections/<int:election_id>/nominate/", views.nominate, name="nominate"),
    path("elections/<int:election_id>/vote/", views.vote, name="vote"),
    path("elections/<int:election_id>/void/", views.void, name="void"),
    path("elections/<int:election_id>/count/", views.count, name="count"),
    path("nominations/<int:candidate_id>/answer/", views.answer, name="answer"),
]
