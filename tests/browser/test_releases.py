"""A release of information in a real browser: the supporter records one for a request they
hold, the person signing with the mouse on the signature pad (the project's own script, under
the strict CSP), downloads the PDF, records a disclosure and revokes the release; the BHS manager
reads the accounting. Every page checked with axe."""

from playwright.sync_api import expect

from peersupport.releases.models import Disclosure, Release, ReleaseStatus

from ..matrix.support_supporter import held_request
from .axe import assert_accessible
from .conftest import open_page


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def sign_with_the_mouse(page) -> None:
    canvas = page.get_by_role("img", name="Signature box")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(x + i * 25, y + (18 if i % 2 else -18), steps=3)
    page.mouse.up()


def test_supporter_records_prints_discloses_and_revokes(new_context, sign_in, personas):
    supporter = personas["supporter"]
    req = held_request(supporter, name="Jordan Ames")

    page = as_persona(new_context, sign_in, "supporter")
    page.goto(f"/support/held/{req.pk}/")
    assert_accessible(page)
    submit(page, page.get_by_role("link", name="Releases of information for this request"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Releases of information for this request"
    )
    expect(page.get_by_text("No release has been signed for this request.")).to_be_visible()
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="Record a signed release"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a release of information")
    expect(page.get_by_label("The person's full name")).to_have_value("Jordan Ames")
    # The pad is shown by the script (hidden without it); the upload waits for "scan".
    expect(page.get_by_role("img", name="Signature box")).to_be_visible()
    expect(page.get_by_label("Upload the scan")).to_be_hidden()
    assert_accessible(page)

    # Sent with elements missing: refused, each marked, nothing saved.
    submit(page, page.get_by_role("button", name="Save the signed release"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "List the specific information that may be disclosed"
    )
    expect(page.locator("[data-error-summary]")).to_contain_text("The release must be signed")
    expect(page.get_by_label("Who may receive it")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not Release.objects.exists()

    page.get_by_label("The information that may be disclosed").fill(
        "The dates of my peer support contacts\nThat I was referred to the EAP"
    )
    page.get_by_label("Who may receive it").fill("Dr. Lee Park, City EAP")
    page.get_by_label("Purpose of the disclosure").fill("To arrange my return-to-duty plan")
    page.get_by_role("radio", name="My peer supporter and the BHS manager").check()
    page.get_by_label("Or expires when").fill("my return to full duty")
    page.get_by_label("I told the person that they may revoke this release").check()
    sign_with_the_mouse(page)
    expect(page.get_by_text("Signature drawn.")).to_be_visible()
    assert (
        page.locator("input[name=signature_drawn]")
        .input_value()
        .startswith("data:image/png;base64,")
    )
    submit(page, page.get_by_role("button", name="Save the signed release"))
    expect(page.get_by_role("status")).to_contain_text("is recorded")
    release = Release.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Release of information {release.number}"
    )
    expect(page.get_by_role("img", name="The person's signature")).to_be_visible()
    assert_accessible(page)
    assert release.person_name == "Jordan Ames" and release.signature_kind == "drawn"
    assert release.expiry_event == "my return to full duty" and release.expires_on is None

    # The PDF link, fetched with the browser's session. (Fetched, not clicked: a download is
    # not a page, and the fixtures rightly insist that every page carries the strict CSP.)
    href = page.get_by_role("link", name="Download the release as a PDF").get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="release-{release.number}.pdf"'
    )
    assert pdf.body().startswith(b"%PDF-")

    submit(page, page.get_by_role("link", name="Record a disclosure"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Record a disclosure under release {release.number}"
    )
    assert_accessible(page)
    page.get_by_role("radio", name="Dr. Lee Park, City EAP").check()
    page.get_by_role("checkbox", name="The dates of my peer support contacts").check()
    page.get_by_label("It was disclosed for the purpose stated in the release").check()
    submit(page, page.get_by_role("button", name="Record the disclosure"))
    expect(page.get_by_role("status")).to_contain_text("The disclosure is recorded")
    accounting = page.get_by_role("table", name="Disclosures under this release")
    expect(accounting.get_by_role("cell", name="Dr. Lee Park, City EAP")).to_be_visible()
    assert_accessible(page)
    assert Disclosure.objects.get().items == ["The dates of my peer support contacts"]

    page.get_by_label("The person asked to revoke this release").check()
    submit(page, page.get_by_role("button", name="Revoke this release"))
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("link", name="Record a disclosure")).to_have_count(0)
    assert_accessible(page)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED and release.revoked_by == supporter

    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto("/releases/accounting/")
    expect(bhs.get_by_role("heading", level=1)).to_have_text(
        "Releases of information and disclosures"
    )
    section = bhs.get_by_role("region", name=f"Release {release.number} Revoked")
    expect(section.get_by_text("Jordan Ames")).to_be_visible()
    expect(section.get_by_role("cell", name="Dr. Lee Park, City EAP")).to_be_visible()
    assert_accessible(bhs)
    bhs.get_by_label("Status").select_option("valid")
    submit(bhs, bhs.get_by_role("button", name="Filter"))
    expect(bhs.get_by_text("No release matches.")).to_be_visible()
    assert_accessible(bhs)


def test_a_release_signed_on_paper_is_uploaded(page, sign_in, personas, tmp_path):
    supporter = personas["supporter"]
    req = held_request(supporter, name="Casey Walsh")
    scan = tmp_path / "signed-release.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    sign_in("supporter")

    page.goto(f"/releases/request/{req.pk}/new/")
    assert_accessible(page)
    page.get_by_label("The information that may be disclosed").fill("My attendance at a debrief")
    page.get_by_label("Who may receive it").fill("Sgt. Dana Ruiz, Wellness Unit")
    page.get_by_label("Purpose of the disclosure").fill("To excuse my absence")
    page.get_by_role("radio", name="My peer supporter only").check()
    page.get_by_label("Expires on").fill("2099-12-31")
    page.get_by_label("I told the person that they may revoke this release").check()
    # Keyboard only: choose the scan, and the upload appears in place of the pad.
    page.get_by_role("radio", name="A scan of the signed paper form").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("img", name="Signature box")).to_be_hidden()
    page.get_by_label("Upload the scan").set_input_files(str(scan))
    submit(page, page.get_by_role("button", name="Save the signed release"))
    expect(page.get_by_role("status")).to_contain_text("is recorded")
    expect(page.get_by_role("link", name="Download the signed form as scanned")).to_be_visible()
    assert_accessible(page)
    release = Release.objects.get()
    assert release.signature_kind == "scan" and release.signature_type == "application/pdf"
