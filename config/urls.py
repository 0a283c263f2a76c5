from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry.forms import OwnPasswordChangeForm
from registry.views.errors import page_not_found, server_error
from registry.views.patients import HomeView

handler404 = page_not_found
handler500 = server_error

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(form_class=OwnPasswordChangeForm),
        name="password_change",
    ),
    path(
        "password/changed/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/", include("registry.api_urls")),
    path("reports/", include("analytics.urls")),
    path("", include("registry.urls")),
]
