from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("feed/reset/", views.feed_reset, name="feed_reset"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("calendar/", views.calendar, name="calendar"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/enrol/", views.enrol, name="enrol"),
    path("sessions/<int:session_id>/leave/", views.leave, name="leave"),
    path("sessions/<int:session_id>/add/", views.enrol_person, name="enrol_person"),
    path("sessions/<int:session_id>/certificate/", views.certificate, name="certificate"),
    path("enrolments/<int:enrolment_id>/cancel/", views.enrolment_cancel, name="enrolment_cancel"),
    path("days/<int:day_id>/attendance/", views.attendance, name="attendance"),
    path(
        "sessions/<int:session_id>/attendance/",
        views.session_attendance,
        name="session_attendance",
    ),
    path("courses/", views.courses, name="courses"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:course_id>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:course_id>/calendar.ics", views.course_feed, name="course_feed"),
    path("courses/<int:course_id>/feed/reset/", views.course_feed_reset, name="course_feed_reset"),
    path("courses/feed/<str:token>.ics", views.course_feed_public, name="course_feed_public"),
    path("compliance/", views.board, name="board"),
    path("compliance/export.csv", views.export, name="export"),
    path("people/<int:user_id>/", views.transcript, name="transcript"),
    path(
        "people/<int:user_id>/transcript.pdf", views.transcript_pdf_for, name="transcript_pdf_for"
    ),
    path(
        "people/<int:user_id>/certificate/<int:session_id>/",
        views.certificate_for,
        name="certificate_for",
    ),
]
