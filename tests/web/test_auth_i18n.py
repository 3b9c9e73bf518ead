"""Sign-in, sign-out, password change, the language switch, CSRF and the error pages."""

import pytest
from django.test import Client, RequestFactory

from config.views import error_500

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_sign_in(world):
    client = Client()
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    r = client.get("/my-tasks/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=/my-tasks/"
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Đăng nhập" in page.content.decode()


def test_sign_in_lands_on_my_tasks_in_vietnamese(world):
    client = Client()
    r = client.post("/accounts/login/", {"username": "official", "password": "Secret-pass-123"})
    assert r.status_code == 302 and r["Location"] == "/"
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0] == "/my-tasks/"
    html = r.content.decode()
    assert '<html lang="vi">' in html and "Việc của tôi" in html


def test_wrong_password_is_reported_on_the_form(world):
    r = Client().post("/accounts/login/", {"username": "official", "password": "nope"})
    assert r.status_code == 200
    assert 'class="alert alert-error"' in r.content.decode()


def test_sign_in_honours_the_users_language(world):
    world.official.language = "en"
    world.official.save(update_fields=["language"])
    client = Client()
    r = client.post("/accounts/login/", {"username": "official", "password": "Secret-pass-123"})
    assert r.cookies["django_language"].value == "en"
    html = client.get("/my-tasks/").content.decode()
    assert '<html lang="en">' in html and "My tasks" in html and "Việc của tôi" not in html


def test_english_switch_translates_the_page_and_is_remembered(world, web):
    client = web.as_(world.official)
    world.task("assigned", title="Rà soát quy trình nội bộ")
    r = client.post("/accounts/language/", {"language": "en", "next": "/my-tasks/"})
    assert r.status_code == 302 and r["Location"] == "/my-tasks/"
    html = client.get("/my-tasks/").content.decode()
    assert "My tasks" in html and "Due soon" in html and "Overdue" in html
    assert "Việc của tôi" not in html
    # Model choices come through the catalogue too.
    assert "Assigned" in html
    world.official.refresh_from_db()
    assert world.official.language == "en"
    # And back.
    client.post("/accounts/language/", {"language": "vi", "next": "/my-tasks/"})
    assert "Việc của tôi" in client.get("/my-tasks/").content.decode()


def test_sign_out_is_a_post(world, web):
    client = web.as_(world.official)
    r = client.post("/accounts/logout/")
    assert r.status_code == 302
    assert client.get("/my-tasks/").status_code == 302


def test_password_change_errors_next_to_the_field_then_success(world, web):
    client = web.as_(world.official)
    r = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "Moi-mat-khau-2026", "new_password2": "Moi-mat-khau-2026"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_old_password_error"' in html
    r = client.post(
        "/accounts/password/",
        {
            "old_password": "Secret-pass-123",
            "new_password1": "Moi-mat-khau-2026",
            "new_password2": "Moi-mat-khau-2026",
        },
    )
    assert r.status_code == 302
    world.official.refresh_from_db()
    assert world.official.check_password("Moi-mat-khau-2026")


def test_csrf_is_enforced_on_page_forms(world):
    task = world.task("assigned")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.official)
    r = client.post(f"/tasks/{task.pk}/start/", {})
    assert r.status_code == 403
    assert "403" in r.content.decode() and "Tải lại trang" in r.content.decode()
    task.refresh_from_db()
    assert task.state == "assigned"
    # With the token from the page, the same form works.
    page = client.get(f"/tasks/{task.pk}/")
    token = page.cookies["csrftoken"].value
    r = client.post(f"/tasks/{task.pk}/start/", {"csrfmiddlewaretoken": token})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.state == "in_progress"


def test_error_pages_share_the_layout(world, web):
    client = web.as_(world.official)
    r = client.get("/tasks/987654/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Không tìm thấy trang" in html and "css/app.css" in html
    request = RequestFactory().get("/boom/")
    r = error_500(request)
    assert r.status_code == 500
    assert "Hệ thống gặp sự cố" in r.content.decode() and "css/app.css" in r.content.decode()
