"""Photos and one video per report: types by content, size and duration limits, refusals that lose nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cityops.core.models import Attachment
from cityops.feedback.media import mp4_duration_seconds
from cityops.feedback.models import Request
from tests.feedback.conftest import LAT, LONG, png_bytes, video_bytes, webm_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages in English, so the messages checked below are the source strings whatever the catalogue says."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def files_of(req: Request) -> list[Attachment]:
    return list(Attachment.objects.filter(target_type="feedback.request", target_id=str(req.pk)))


@pytest.mark.parametrize("moov_last", [False, True])
def test_duration_is_read_from_mvhd_wherever_moov_sits(moov_last):
    data = video_bytes(95.5, moov_last=moov_last)
    assert mp4_duration_seconds(io.BytesIO(data), len(data)) == pytest.approx(95.5)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x00\x00\x01ftyp", b"\x00\x00\x00\x08free" * 100, b"\xff" * 64, video_bytes(5)[:40]],
)
def test_unreadable_containers_have_no_duration(data):
    assert mp4_duration_seconds(io.BytesIO(data), len(data)) is None


def test_several_photos_and_one_video(submit):
    photos = [upload(f"p{i}.png", png_bytes(), "image/png") for i in range(3)]
    req = submit(photos=[*photos, upload("clip.mp4", video_bytes(30), "video/mp4")])
    types = sorted(a.content_type for a in files_of(req))
    assert types == ["image/png", "image/png", "image/png", "video/mp4"]


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [("clip.webm", webm_bytes(), "video/webm"), ("clip.mov", video_bytes(10, brand=b"qt  "), "video/quicktime")],
)
def test_webm_and_quicktime_are_accepted(submit, name, data, mime):
    req = submit(photos=[upload(name, data)])
    assert [a.content_type for a in files_of(req)] == [mime]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload("a.mp4", video_bytes(5)), upload("b.mp4", video_bytes(5))], "at most one video"),
        ([upload(f"p{i}.png", png_bytes()) for i in range(7)], "at most 6 photos"),
        ([upload("long.mp4", video_bytes(600))], "600 seconds"),
        (
            [upload("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")],
            "Only photos",
        ),
        ([upload("fake.mp4", b"this is only text pretending to be a video")], "plain text"),
        ([upload("clip.mp4", webm_bytes())], "named as MP4"),
        ([upload("sound.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 200)], "Only photos"),
    ],
)
def test_refused_batches_store_nothing(submit, files, message):
    with pytest.raises(ValidationError) as info:
        submit(photos=files)
    assert message.lower() in " ".join(info.value.message_dict["photos"]).lower()
    assert Request.objects.count() == 0 and Attachment.objects.count() == 0


def test_video_size_limit_is_a_setting(submit, settings):
    settings.FEEDBACK_VIDEO_MAX_BYTES = 2000
    with pytest.raises(ValidationError) as info:
        submit(photos=[upload("big.mp4", video_bytes(5, padding=5000))])
    assert "video is larger" in info.value.message_dict["photos"][0]
    assert submit(photos=[upload("small.mp4", video_bytes(5))]).pk


def test_video_duration_limit_is_a_setting(submit, settings):
    settings.FEEDBACK_VIDEO_MAX_SECONDS = 10
    with pytest.raises(ValidationError):
        submit(photos=[upload("a.mp4", video_bytes(11))])
    assert submit(photos=[upload("a.mp4", video_bytes(10))]).pk


def test_hostile_file_names_are_sanitised(submit, client):
    name = "../../etc/<script>alert(1)</script>\u202egnp.png"
    req = submit(photos=[upload(name, png_bytes(), "image/png")])
    (attachment,) = files_of(req)
    assert "/" not in attachment.original_name and ".." not in attachment.original_name
    assert "\u202e" not in attachment.original_name
    assert not attachment.file.name.endswith(attachment.original_name)


def test_citizen_form_takes_photos_and_one_video(client, simple_category):
    data = {
        "category": simple_category.pk, "description": "Ổ gà lớn trước chợ", "lat": LAT, "long": LONG,
        "photos": [upload("a.png", png_bytes(), "image/png"), upload("b.png", png_bytes(), "image/png")],
        "video": upload("clip.mp4", video_bytes(20), "video/mp4"),
    }  # fmt: skip
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 302
    assert sorted(a.content_type for a in files_of(Request.objects.get())) == ["image/png", "image/png", "video/mp4"]


def test_citizen_form_keeps_the_text_when_the_video_is_refused(client, simple_category, settings):
    settings.FEEDBACK_VIDEO_MAX_SECONDS = 5
    data = {
        "category": simple_category.pk, "description": "Nước ngập <b>sâu</b> ở ngã tư", "lat": LAT, "long": LONG,
        "video": upload("clip.mp4", video_bytes(60), "video/mp4"),
    }  # fmt: skip
    response = client.post(reverse("feedback:report"), data)
    body = response.content.decode()
    assert response.status_code == 400 and Request.objects.count() == 0
    assert "Nước ngập &lt;b&gt;sâu&lt;/b&gt; ở ngã tư" in body and "60" in body
    page = client.get(reverse("feedback:report")).content.decode()
    assert 'name="video"' in page and "video/quicktime" in page


def test_open311_media_takes_a_video_and_refuses_two(client, api_key, simple_category):
    def post(*files):
        data = {"api_key": api_key, "service_code": simple_category.code, "lat": LAT, "long": LONG,
                "description": "Đèn hỏng", "media[]": list(files)}  # fmt: skip
        return client.post("/open311/v2/requests.json", data)

    assert post(upload("a.mp4", video_bytes(3))).status_code == 200
    refused = post(upload("a.mp4", video_bytes(3)), upload("b.webm", webm_bytes()))
    assert refused.status_code == 400
    assert "video" in json.loads(refused.content)[0]["description"]
    assert Request.objects.count() == 1


def test_photos_are_kept_across_a_refused_form(client, simple_category):
    photo = upload("ổ gà.png", png_bytes(), "image/png")
    data = {"category": simple_category.pk, "description": "Ổ gà", "lat": "abc", "long": LONG, "photos": [photo],
            "video": upload("clip.mp4", video_bytes(5), "video/mp4")}  # fmt: skip
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 400 and Request.objects.count() == 0
    body = response.content.decode()
    assert 'data-testid="kept-files"' in body and "ổ gà.png" in body and "clip.mp4" in body
    token = response.context["kept_token"]
    assert Attachment.objects.filter(target_type="feedback.kept").count() == 2
    response = client.post(reverse("feedback:report"), {**data, "lat": LAT, "photos": [], "video": [], "kept": token})
    assert response.status_code == 302
    req = Request.objects.get()
    assert sorted(a.content_type for a in files_of(req)) == ["image/png", "video/mp4"]
    assert not Attachment.objects.filter(target_type="feedback.kept").exists()
    # The token is spent: replaying it attaches nothing more.
    client.post(reverse("feedback:report"), {**data, "lat": LAT, "photos": [], "video": [], "kept": token})
    assert len(files_of(Request.objects.latest("id"))) == 0


@pytest.mark.parametrize("token", ["forged", "x" * 5000, "W10:1tampered:sig"])
def test_forged_kept_tokens_attach_nothing(client, simple_category, token):
    data = {"category": simple_category.pk, "description": "Ổ gà", "lat": LAT, "long": LONG, "kept": token}
    assert client.post(reverse("feedback:report"), data).status_code == 302
    assert files_of(Request.objects.get()) == []


def test_kept_files_still_count_towards_the_limits(client, simple_category):
    first = {"category": simple_category.pk, "description": "Ổ gà", "lat": "abc", "long": LONG,
             "video": upload("a.mp4", video_bytes(5), "video/mp4")}  # fmt: skip
    token = client.post(reverse("feedback:report"), first).context["kept_token"]
    again = {**first, "lat": LAT, "video": upload("b.mp4", video_bytes(5), "video/mp4"), "kept": token}
    response = client.post(reverse("feedback:report"), again)
    assert response.status_code == 400 and "one video" in response.content.decode()
    assert Request.objects.count() == 0


def test_unused_kept_files_are_removed_after_a_day(client, simple_category):
    import datetime as dt

    from django.utils import timezone

    from cityops.feedback.services import kept_media_cleanup

    data = {"category": simple_category.pk, "description": "Ổ gà", "lat": "abc", "long": LONG,
            "photos": [upload("a.png", png_bytes(), "image/png")]}  # fmt: skip
    client.post(reverse("feedback:report"), data)
    (kept,) = Attachment.objects.filter(target_type="feedback.kept")
    storage, name = kept.file.storage, kept.file.name
    assert kept_media_cleanup() == 0
    assert kept_media_cleanup(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not Attachment.objects.filter(pk=kept.pk).exists() and not storage.exists(name)
