from django.urls import path

from searchbench.books import views

app_name = "books"

urlpatterns = [
    path("", views.book_list, name="list"),
]
