"""mkletter: letters typeset into PDF, from Python.

A thin wrapper of the C library libmkletter (its manual is the header
mkletter.h) through the standard library's ctypes: no build step, no
dependency. Every failure raises mkletter.Error with the file, line and column
the library reports.

    import mkletter

    mkletter.render_file("letter.md", "letter.pdf")          # a file to a file
    pdf = mkletter.render(text)                              # a letter string to PDF bytes
    pdf = mkletter.render(text, fields={"name": "Kim"})      # {{name}} filled from a dict

    with mkletter.Renderer() as r:                           # fonts and images kept between letters
        letter = r.parse_file("letter.md")
        files = r.merge(letter, "people.csv", "out/{{id}}.pdf")     # one PDF per row
        r.merge(letter, "people.csv", "print.pdf", duplex=True)     # one print file

The library is found from $MKLETTER_LIBRARY (a path), else where this package
was installed with it (cmake --install), else by the dynamic loader
("libmkletter.so.0").
"""
import ctypes
import os

__all__ = ["Error", "Renderer", "Letter", "render", "render_file", "check", "version"]

# mkl_status codes (mkletter.h)
OK, ERR_NOMEM, ERR_INPUT, ERR_FONT, ERR_IMAGE, ERR_READ, ERR_WRITE, ERR_ARGUMENT, ERR_PDF, ERR_LIMIT = (
    0, -1, -2, -3, -4, -5, -6, -7, -8, -9)


class Error(Exception):
    """A failed call: `code` (an mkl_status), `file`, `line`, `column` (0 when
    unknown) and `message`; str() is the "FILE:LINE:COL: message" line the
    command prints."""

    def __init__(self, code, file="", line=0, column=0, message="", text=""):
        super().__init__(text or message)
        self.code, self.file, self.line, self.column, self.message = code, file, line, column, message


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("line", ctypes.c_int), ("column", ctypes.c_int),
                ("file", ctypes.c_char * 1024), ("message", ctypes.c_char * 1024)]


class _Options(ctypes.Structure):
    # mkl_options as this package knows it; mkl_options_init_size() writes only these fields (style,
    # signer: not offered here, NULL), and fields a newer library adds take their defaults
    _fields_ = [("struct_size", ctypes.c_size_t), ("font_dir", ctypes.c_char_p),
                ("creation_time", ctypes.c_longlong), ("page_numbers", ctypes.c_int), ("pdfa", ctypes.c_int),
                ("style", ctypes.c_char_p), ("signer", ctypes.c_void_p), ("tags", ctypes.c_int), ("pdfua", ctypes.c_int)]


_WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_ubyte), ctypes.c_size_t)
_FIELD_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)


def _library_path():
    env = os.environ.get("MKLETTER_LIBRARY")
    if env:
        return env
    try:
        from . import _installed  # written by cmake --install / the build
        here = os.path.dirname(os.path.abspath(__file__))
        return os.path.normpath(os.path.join(here, _installed.LIBRARY))
    except ImportError:
        return "libmkletter.so.0"


def _load():
    lib = ctypes.CDLL(_library_path())
    P, I, S, C = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_char_p
    sigs = {
        "mkl_version": (C, []),
        "mkl_status_str": (C, [I]),
        "mkl_error_format": (I, [ctypes.POINTER(_Error), ctypes.c_char_p, S]),
        "mkl_options_init_size": (None, [ctypes.POINTER(_Options), S]),
        "mkl_render_file": (I, [C, C, ctypes.POINTER(_Options), ctypes.POINTER(_Error)]),
        "mkl_renderer_new": (I, [ctypes.POINTER(_Options), ctypes.POINTER(P)]),
        "mkl_renderer_free": (None, [P]),
        "mkl_renderer_error": (ctypes.POINTER(_Error), [P]),
        "mkl_renderer_page_count": (I, [P]),
        "mkl_letter_parse_file": (I, [P, C, ctypes.POINTER(P)]),
        "mkl_letter_parse": (I, [P, C, S, C, C, ctypes.POINTER(P)]),
        "mkl_letter_free": (None, [P]),
        "mkl_letter_has_fields": (I, [P]),
        "mkl_letter_fill": (I, [P, P, _FIELD_FN, P, ctypes.POINTER(P)]),
        "mkl_letter_check": (I, [P, P]),
        "mkl_data_load": (I, [P, C, ctypes.POINTER(P)]),
        "mkl_data_free": (None, [P]),
        "mkl_data_rows": (S, [P]),
        "mkl_letter_fill_row": (I, [P, P, P, S, ctypes.POINTER(P)]),
        "mkl_data_fill_path": (I, [P, P, S, C, ctypes.POINTER(P)]),
        "mkl_fileset_new": (I, [P, ctypes.POINTER(P)]),
        "mkl_fileset_add": (I, [P, P, C]),
        "mkl_fileset_add_batch": (I, [P, P, C]),
        "mkl_fileset_commit": (I, [P]),
        "mkl_fileset_free": (None, [P]),
        "mkl_batch_new": (I, [P, I, ctypes.POINTER(P)]),
        "mkl_batch_add": (I, [P, P]),
        "mkl_batch_write_file": (I, [P, C]),
        "mkl_batch_write": (I, [P, _WRITE_FN, P]),
        "mkl_batch_free": (None, [P]),
        "mkl_render_to_file": (I, [P, P, C]),
        "mkl_render_to_writer": (I, [P, P, _WRITE_FN, P]),
        "mkl_free": (None, [P]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


_lib = None


def _c():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _path(p):
    return os.fsencode(os.fspath(p))


def _raise(err_ptr, status):
    e = err_ptr.contents if hasattr(err_ptr, "contents") else err_ptr
    buf = ctypes.create_string_buffer(4096)
    _c().mkl_error_format(ctypes.byref(e), buf, len(buf))
    dec = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    message = dec(e.message) or dec(_c().mkl_status_str(status))
    raise Error(status, dec(e.file), e.line, e.column, message, dec(buf.value))


def version():
    """The version of the linked library, "MAJOR.MINOR.PATCH"."""
    return _c().mkl_version().decode()


def _options(pdfa, page_numbers, font_dir, creation_time, tags=True, pdfua=False):
    o = _Options()
    _c().mkl_options_init_size(ctypes.byref(o), ctypes.sizeof(o))
    o.pdfa = 1 if pdfa else 0
    o.tags = 1 if tags else 0
    o.pdfua = 1 if pdfua else 0
    o.page_numbers = 1 if page_numbers else 0
    o.font_dir = _path(font_dir) if font_dir else None
    o.creation_time = int(creation_time or 0)
    return o


def render_file(letter_path, pdf_path, *, pdfa=False, page_numbers=True, font_dir=None, creation_time=0, tags=True,
                pdfua=False):
    """Render the letter file `letter_path` to `pdf_path` (written atomically)."""
    o = _options(pdfa, page_numbers, font_dir, creation_time, tags, pdfua)
    e = _Error()
    st = _c().mkl_render_file(_path(letter_path), _path(pdf_path), ctypes.byref(o), ctypes.byref(e))
    if st:
        _raise(e, st)


def render(text, fields=None, *, name="<letter>", base_dir=None, **options):
    """A letter given as text (str or bytes) -> the PDF as bytes. With `fields`
    (a dict), its {{placeholders}} are filled first."""
    with Renderer(**options) as r:
        letter = r.parse(text, name=name, base_dir=base_dir)
        if fields is not None:
            letter = letter.fill(fields)
        return r.render(letter)


def check(text, fields=None, *, name="<letter>", base_dir=None, **options):
    """Check a letter as rendering would (fonts, every character, images,
    layout) without making a PDF; returns its number of pages or raises Error."""
    with Renderer(**options) as r:
        letter = r.parse(text, name=name, base_dir=base_dir)
        if fields is not None:
            letter = letter.fill(fields)
        return r.check(letter)


class Letter:
    """A parsed (or filled) letter. Made by Renderer.parse / parse_file / Letter.fill."""

    def __init__(self, renderer, handle):
        self._r, self._h = renderer, handle

    def __del__(self):
        if getattr(self, "_h", None) and _lib is not None:
            _lib.mkl_letter_free(self._h)
            self._h = None

    @property
    def has_fields(self):
        """Does the letter hold any {{placeholder}}?"""
        return bool(_c().mkl_letter_has_fields(self._h))

    def fill(self, fields):
        """A copy with every {{field}} filled from the dict `fields` (values are
        turned into strings; a missing key is an unknown field)."""
        keep = []

        def get(_user, key):
            k = key.decode("utf-8")
            if k not in fields:
                return None
            v = fields[k]
            buf = ctypes.create_string_buffer(("" if v is None else str(v)).encode("utf-8"))
            keep.append(buf)
            return ctypes.addressof(buf)

        cb = _FIELD_FN(get)
        out = ctypes.c_void_p()
        st = _c().mkl_letter_fill(self._r._h, self._h, cb, None, ctypes.byref(out))
        if st:
            self._r._fail(st)
        return Letter(self._r, out.value)


class Renderer:
    """Fonts, shaped text and decoded images kept from one letter to the next.
    One per thread. Options: pdfa, page_numbers, tags (a tagged PDF, the
    default), pdfua (declare PDF/UA-1), font_dir, creation_time (a Unix
    time for reproducible files; 0 = now or $SOURCE_DATE_EPOCH)."""

    def __init__(self, *, pdfa=False, page_numbers=True, font_dir=None, creation_time=0, tags=True, pdfua=False):
        self._opts = _options(pdfa, page_numbers, font_dir, creation_time, tags, pdfua)
        h = ctypes.c_void_p()
        st = _c().mkl_renderer_new(ctypes.byref(self._opts), ctypes.byref(h))
        if st:
            raise Error(st, message=_c().mkl_status_str(st).decode())
        self._h = h.value

    def close(self):
        if getattr(self, "_h", None) and _lib is not None:
            _lib.mkl_renderer_free(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fail(self, st):
        _raise(_c().mkl_renderer_error(self._h), st)

    def parse(self, text, *, name="<letter>", base_dir=None):
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        out = ctypes.c_void_p()
        st = _c().mkl_letter_parse(self._h, data, len(data), name.encode("utf-8"),
                                   _path(base_dir) if base_dir else None, ctypes.byref(out))
        if st:
            self._fail(st)
        return Letter(self, out.value)

    def parse_file(self, path):
        out = ctypes.c_void_p()
        st = _c().mkl_letter_parse_file(self._h, _path(path), ctypes.byref(out))
        if st:
            self._fail(st)
        return Letter(self, out.value)

    def check(self, letter):
        """Lay the letter out without making a PDF; returns its pages."""
        st = _c().mkl_letter_check(self._h, letter._h)
        if st:
            self._fail(st)
        return _c().mkl_renderer_page_count(self._h)

    def render(self, letter):
        """The letter as PDF bytes."""
        chunks = []

        def write(_user, data, n):
            chunks.append(ctypes.string_at(data, n))
            return 0

        st = _c().mkl_render_to_writer(self._h, letter._h, _WRITE_FN(write), None)
        if st:
            self._fail(st)
        return b"".join(chunks)

    def render_to_file(self, letter, path):
        """Write the letter's PDF to `path` atomically."""
        st = _c().mkl_render_to_file(self._h, letter._h, _path(path))
        if st:
            self._fail(st)

    def merge(self, letter, csv_path, out, *, duplex=False, rows=None):
        """A mail merge from the CSV file `csv_path`. When `out` holds a
        {{field}}, one PDF per row (returns their names); else one combined
        print file at `out` (returns [out]), or, with out=None, its bytes.
        `rows`: a range of 0-based data rows (default: all). Every row is
        filled, and every name made, before anything is written, and no file
        is put in place unless every copy was made."""
        c = _c()
        data = ctypes.c_void_p()
        st = c.mkl_data_load(self._h, _path(csv_path), ctypes.byref(data))
        if st:
            self._fail(st)
        try:
            n = c.mkl_data_rows(data)
            rows = range(n) if rows is None else rows
            per_file = out is not None and "{{" in os.fspath(out)
            names = []
            for row in rows:
                copy = self._fill_row(letter, data, row)
                c.mkl_letter_free(copy)
                if per_file:
                    s = ctypes.c_void_p()
                    st = c.mkl_data_fill_path(self._h, data, row, _path(out), ctypes.byref(s))
                    if st:
                        self._fail(st)
                    names.append(os.fsdecode(ctypes.string_at(s.value)))
                    c.mkl_free(s)
            if per_file:
                # all or nothing: every copy to a temporary file, then all renamed
                files = self._fileset()
                try:
                    for row, name in zip(rows, names):
                        copy = self._fill_row(letter, data, row)
                        st = c.mkl_fileset_add(files, copy, _path(name))
                        c.mkl_letter_free(copy)
                        if st:
                            self._fail(st)
                    st = c.mkl_fileset_commit(files)
                    if st:
                        self._fail(st)
                finally:
                    c.mkl_fileset_free(files)
                return names
            return self._combined(letter, data, rows, out, duplex)
        finally:
            c.mkl_data_free(data)

    def _fileset(self):
        files = ctypes.c_void_p()
        st = _c().mkl_fileset_new(self._h, ctypes.byref(files))
        if st:
            self._fail(st)
        return files.value

    def _fill_row(self, letter, data, row):
        copy = ctypes.c_void_p()
        st = _c().mkl_letter_fill_row(self._h, letter._h, data, row, ctypes.byref(copy))
        if st:
            self._fail(st)
        return copy.value

    def _combined(self, letter, data, rows, out, duplex):
        c = _c()
        batch = ctypes.c_void_p()
        st = c.mkl_batch_new(self._h, 1 if duplex else 0, ctypes.byref(batch))
        if st:
            self._fail(st)
        try:
            for row in rows:
                copy = self._fill_row(letter, data, row)
                st = c.mkl_batch_add(batch, copy)
                c.mkl_letter_free(copy)
                if st:
                    self._fail(st)
            if out is not None:
                files = self._fileset()
                try:
                    st = c.mkl_fileset_add_batch(files, batch, _path(out)) or c.mkl_fileset_commit(files)
                finally:
                    c.mkl_fileset_free(files)
                if st:
                    self._fail(st)
                return [os.fspath(out)]
            chunks = []

            def write(_user, d, n):
                chunks.append(ctypes.string_at(d, n))
                return 0

            st = c.mkl_batch_write(batch, _WRITE_FN(write), None)
            if st:
                self._fail(st)
            return b"".join(chunks)
        finally:
            c.mkl_batch_free(batch)
