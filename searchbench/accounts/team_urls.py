from django.urls import path

from searchbench.accounts import team_views as views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("<id:team_id>/", views.team_detail, name="detail"),
    path("<id:team_id>/members/add", views.member_add, name="member_add"),
    path("<id:team_id>/members/<id:user_id>/remove", views.member_remove, name="member_remove"),
    path("<id:team_id>/members/<id:user_id>/role", views.member_role, name="member_role"),
    path("<id:team_id>/leave", views.team_leave, name="leave"),
    path("<id:team_id>/delete", views.team_delete, name="delete"),
    path("<id:team_id>/invite", views.invite, name="invite"),
    path(
        "<id:team_id>/invitations/<id:invitation_id>/revoke",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>", views.invitation, name="invitation"),
]
