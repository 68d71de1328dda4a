from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from oversight import views as oversight_views

urlpatterns = [
    path("", oversight_views.home, name="home"),
    path("units/", oversight_views.unit_roots, name="unit-roots"),
    path("units/search/", oversight_views.unit_search, name="unit-search"),
    path("units/<str:code>/", oversight_views.unit_detail, name="unit-detail"),
    path("tenant/", account_views.switch_tenant, name="switch-tenant"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
