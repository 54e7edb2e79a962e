from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("", views.board, name="board"),
    path("open/", views.open_outreach, name="open"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:step_id>/remove/", views.plan_step_remove, name="plan_step_remove"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/people/", views.person_add, name="person_add"),
    path("<uuid:public_id>/sessions/", views.session_add, name="session_add"),
    path("<uuid:public_id>/close/", views.close, name="close"),
    path("<uuid:public_id>/responders/", views.responder_add, name="responder_add"),
    path("<uuid:public_id>/responders/remove/", views.responder_remove, name="responder_remove"),
    path("people/<int:person_id>/assign/", views.assign, name="assign"),
    path("people/<int:person_id>/follow-up/", views.task_add, name="task_add"),
    path("people/<int:person_id>/resume/", views.person_resume, name="person_resume"),
    path("sessions/<int:session_id>/attendance/", views.session_attendance, name="attendance"),
    path("mine/", views.mine, name="mine"),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path(
        "assignments/<int:assignment_id>/answer/",
        views.assignment_answer,
        name="assignment_answer",
    ),
    path("follow-ups/<int:task_id>/attempt/", views.attempt, name="attempt"),
    path("follow-ups/<int:task_id>/remind/", views.remind, name="remind"),
]
