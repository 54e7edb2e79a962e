"""Signatures: a drawing made on the page, or a scan of the signed paper form.

Either is checked by what it is, never by its name or the type the browser claims: a drawing
must be a PNG with something drawn on it; a scan a PNG, a JPEG or a PDF that opens. Both are
kept in the database, encrypted (base64 in an EncryptedTextField), never as a file. The upload
is held in memory while the request is read and cut off at SIGNATURE_MAX_BYTES, so a signed
form never touches the disk in plain text, not even as a temporary file.
"""

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from PIL import Image, ImageChops

SIGNATURE_MAX_BYTES = 5 * 1024 * 1024
SIGNATURE_MAX_MB = SIGNATURE_MAX_BYTES // (1024 * 1024)
SCAN_MAX_PIXELS = 60_000_000  # a page scanned at 600 dpi fits; a decompression bomb does not
DRAWING_MAX_SIZE = (2000, 1000)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"
DATA_URL_PREFIX = "data:image/png;base64,"

SCAN_UNREADABLE = (
    "This file is not a scan we can keep. Upload the signed form as a PDF, a PNG or a JPEG."
)
DRAWING_UNREADABLE = "The signature drawing could not be read. Clear it and sign again."
DRAWING_BLANK = "Nothing was drawn. Ask the person to sign in the box, or upload a signed scan."
TOO_LARGE = f"The scan is too large; the limit is {SIGNATURE_MAX_MB} MB."


def _kind_of(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    return None


def _check_image(data: bytes, *, expected_format: str, max_pixels: int) -> Image.Image:
    """Open and fully decode the image, or raise ValueError."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != expected_format:
                raise ValueError("format")
            if probe.width * probe.height > max_pixels:
                raise ValueError("pixels")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError("unreadable") from exc
    return image


def _is_blank(image: Image.Image) -> bool:
    """True when every pixel is the same: an empty canvas, transparent or white."""
    if "A" in image.getbands():
        return image.getchannel("A").getbbox() is None
    rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, rgb.getpixel((0, 0)))
    return ImageChops.difference(rgb, background).getbbox() is None


def check_scan(data: bytes) -> str:
    """The content type of a scan of the signed form, judged by its content; or a
    ValidationError saying why it cannot be kept."""
    if not data:
        raise ValidationError(SCAN_UNREADABLE)
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError(TOO_LARGE)
    kind = _kind_of(data)
    if kind == "application/pdf":
        # A whole PDF ends with %%EOF (perhaps followed by a line end or padding).
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(SCAN_UNREADABLE)
        return kind
    if kind in ("image/png", "image/jpeg"):
        try:
            image = _check_image(
                data,
                expected_format="PNG" if kind == "image/png" else "JPEG",
                max_pixels=SCAN_MAX_PIXELS,
            )
        except ValueError:
            raise ValidationError(SCAN_UNREADABLE) from None
        if _is_blank(image):
            raise ValidationError("The scan is a blank page. Upload the signed form.")
        return kind
    raise ValidationError(SCAN_UNREADABLE)


def check_drawing(data: bytes) -> str:
    """A signature drawn on the page: a PNG, not too large, with something drawn on it."""
    if not data.startswith(PNG_MAGIC) or len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError(DRAWING_UNREADABLE)
    width, height = DRAWING_MAX_SIZE
    try:
        image = _check_image(data, expected_format="PNG", max_pixels=width * height)
    except ValueError:
        raise ValidationError(DRAWING_UNREADABLE) from None
    if image.width > width or image.height > height:
        raise ValidationError(DRAWING_UNREADABLE)
    if _is_blank(image):
        raise ValidationError(DRAWING_BLANK)
    return "image/png"


def drawing_from_data_url(value: str) -> bytes:
    """The PNG bytes of the canvas's data URL (``data:image/png;base64,...``)."""
    if not value.startswith(DATA_URL_PREFIX):
        raise ValidationError(DRAWING_UNREADABLE)
    encoded = value.removeprefix(DATA_URL_PREFIX)
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError(DRAWING_UNREADABLE)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(DRAWING_UNREADABLE) from None


def to_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b64decode(text)


def data_url(mime: str, text: str) -> str:
    """For an <img> in the page or the PDF (the site's CSP allows data: images)."""
    return f"data:{mime};base64,{text}"


class MemoryOnlyUpload(FileUploadHandler):
    """Keeps the one expected upload in memory and never on disk; stops reading it past
    ``limit`` bytes (``too_large`` then says so) and skips any other file in the request.

    Set it before the request body is read, i.e. in a view exempt from the CSRF middleware
    that checks CSRF itself afterwards (Django's documented way to change upload handlers).
    """

    def __init__(self, request=None, *, field_name: str, limit: int = SIGNATURE_MAX_BYTES):
        super().__init__(request)
        self.expected_field = field_name
        self.limit = limit
        self.too_large = False
        self.taken = False
        self.buffer: io.BytesIO | None = None

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        if field_name != self.expected_field or self.taken:
            raise SkipFile
        if self.content_length is not None and self.content_length > self.limit:
            self.too_large = True
            raise SkipFile
        self.taken = True
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large = True
            self.buffer = None
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
