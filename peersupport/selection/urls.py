from django.urls import path

from . import views

app_name = "selection"

urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("nominate/", views.nominate, name="nominate"),
    path("me/", views.mine, name="mine"),
    path("me/answer/", views.answer, name="answer"),
    path("me/withdraw/", views.withdraw_own, name="withdraw_own"),
    path("board/", views.board, name="board"),
    path("rounds/", views.rounds, name="rounds"),
    path("<int:candidacy_id>/", views.candidacy, name="candidacy"),
    path("<int:candidacy_id>/schedule/", views.schedule, name="schedule"),
    path("<int:candidacy_id>/score/", views.score, name="score"),
    path("<int:candidacy_id>/decide/", views.decide, name="decide"),
    path("<int:candidacy_id>/endorse/", views.endorse, name="endorse"),
    path("<int:candidacy_id>/skip/", views.skip, name="skip"),
    path("<int:candidacy_id>/override/", views.override, name="override"),
    path("<int:candidacy_id>/recommend/", views.recommend, name="recommend"),
    path("<int:candidacy_id>/approve/", views.approve, name="approve"),
    path("<int:candidacy_id>/withdraw/", views.withdraw, name="withdraw"),
]
