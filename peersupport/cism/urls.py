from django.urls import path

from . import views

app_name = "cism"

urlpatterns = [
    path("", views.board, name="board"),
    path("team/", views.team, name="team"),
    path("team/role/", views.member_role, name="member_role"),
    path("team/remove/", views.member_remove, name="member_remove"),
    path("activate/", views.activate, name="activate"),
    path("activations.csv", views.export, name="export"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/sessions/", views.session_add, name="session_add"),
    path("<uuid:public_id>/outreach/", views.open_outreach, name="open_outreach"),
    path("<uuid:public_id>/remind/", views.remind, name="remind"),
    path("<uuid:public_id>/stand-down/", views.stand_down, name="stand_down"),
    path("sessions/<int:session_id>/attendance/", views.attendance, name="attendance"),
    path("mine/", views.mine, name="mine"),
    path("call-outs/<int:callout_id>/", views.callout, name="callout"),
]
