"""Reading a tagged PDF back with independent tools, for the tests:
poppler (pdfinfo -struct-text), Mozilla's PDF.js (tests/node/structure.mjs)
and qpdf (the objects and the decoded content streams, as JSON).

Each reader gives the structure as a list of elements in reading order,
(depth, role, text, extra): text is the element's own content, whitespace
collapsed; extra holds /Alt and /Lang where the reader tells them."""
import base64
import json
import os
import re
import subprocess

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def collapse(s):
    return re.sub(r"\s+", " ", s).strip()


class Missing(Exception):
    """A tool the check needs is not there: the check fails saying so."""


def _run(args):
    try:
        return subprocess.run(args, capture_output=True)
    except OSError as e:
        raise Missing(f"{args[0]} is not installed ({e}); run scripts/deps")


# ---- poppler ---------------------------------------------------------------

def poppler_elements(pdf):
    """pdfinfo -struct-text: an element a line ("  P (block)"), its text on the
    lines below it, quoted, one string a marked-content sequence."""
    r = _run(["pdfinfo", "-struct-text", pdf])
    if r.returncode != 0:
        raise Missing("pdfinfo -struct-text failed: " + r.stderr.decode("utf-8", "replace")[:200])
    out, open_at = [], {}   # open_at[depth]: the index in `out` of the element open at that depth
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        m = re.match(r"^( *)(\"(.*)\"|(\S+)( \((block|inline)\))?)\s*$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        if m.group(2).startswith('"'):
            at = open_at.get(depth - 1)   # a string belongs to the element one level up
            if at is not None:
                d, role, text, extra = out[at]
                out[at] = (d, role, text + m.group(3), extra)
        else:
            open_at[depth] = len(out)
            out.append((depth, m.group(4), "", {}))
    return [(d, role, collapse(t), x) for d, role, t, x in out]


def poppler_text(pdf):
    """The tree's text as pdfinfo -struct-text prints it: every string, in order."""
    r = _run(["pdfinfo", "-struct-text", pdf])
    return collapse("".join(m.group(1) for m in re.finditer(r'^ *"(.*)"\s*$', r.stdout.decode("utf-8", "replace"), re.M)))


# ---- PDF.js ----------------------------------------------------------------

def pdfjs(pdf):
    """What PDF.js reads (see tests/node/structure.mjs)."""
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "pdfjs-dist")):
        raise Missing("pdfjs-dist is not installed in tests/node: run scripts/deps")
    r = _run(["node", os.path.join(NODE_DIR, "structure.mjs"), pdf])
    if r.returncode != 0:
        raise Missing("node structure.mjs failed: " + r.stderr.decode("utf-8", "replace")[:300])
    return json.loads(r.stdout)


def pdfjs_elements(data):
    """PDF.js gives a tree a page (an element that goes on over a page break
    is in the trees of both): the elements of every page in order, as
    (page, depth, role, text, extra); the text holds the element's content
    on that page, children's included."""
    out = []
    for n, page in enumerate(data["pages"]):
        def walk(node, depth):
            if node.get("type") == "content":
                return node.get("text") or ""
            if node.get("type") == "object":
                return ""
            me = len(out)
            out.append([n, depth, node.get("role"), "", {k: node[k] for k in ("alt", "lang") if k in node}])
            out[me][3] = "".join(walk(c, depth + 1) for c in node.get("children", []))
            return out[me][3]

        if page["tree"]:
            walk(page["tree"], -1)
    return [(n, d, role, collapse(t), x) for n, d, role, t, x in out if role != "Root"]


# ---- qpdf: objects and content ---------------------------------------------

class Doc:
    """The objects of a PDF as qpdf's JSON gives them, with the decoded content streams."""

    def __init__(self, pdf):
        r = _run(["qpdf", "--json=2", "--json-stream-data=inline", "--decode-level=generalized", pdf])
        if r.returncode not in (0, 3):
            raise Missing("qpdf --json failed: " + r.stderr.decode("utf-8", "replace")[:300])
        j = json.loads(r.stdout)
        self.objs = {}
        for k, v in j["qpdf"][1].items():
            if k.startswith("obj:"):
                self.objs[k[4:]] = v
        self.trailer = j["qpdf"][1]["trailer"]["value"]
        self.pages = [p["object"] for p in j["pages"]]

    def get(self, ref):
        """The value of `ref` ("N 0 R") or the value itself when it is direct."""
        if isinstance(ref, str) and re.fullmatch(r"\d+ \d+ R", ref):
            o = self.objs.get(ref)
            if o is None:
                return None
            if "stream" in o:
                return o["stream"]["dict"]
            return o["value"]
        return ref

    def stream_data(self, ref):
        o = self.objs[ref]["stream"]
        return base64.b64decode(o.get("data", ""))

    def catalog(self):
        return self.get(self.trailer["/Root"])

    def page_content(self, page_ref):
        c = self.get(page_ref).get("/Contents")
        refs = c if isinstance(c, list) else [c] if c else []
        return b"".join(self.stream_data(r) + b"\n" for r in refs)

    def number_tree(self, node):
        """A number tree as {key: value}."""
        node = self.get(node)
        out = {}
        nums = node.get("/Nums", [])
        for i in range(0, len(nums), 2):
            v = nums[i + 1]
            # a page's array may be an object of its own (a combined file
            # written as it is made); an element stays a reference
            if isinstance(v, str) and v.endswith(" R") and isinstance(self.get(v), list):
                v = self.get(v)
            out[nums[i]] = v
        for kid in node.get("/Kids", []):
            out.update(self.number_tree(kid))
        return out


def text_of(v):
    """A PDF string as qpdf's JSON writes it ("u:..." text, "b:..." hex bytes)."""
    if isinstance(v, str) and v.startswith("u:"):
        return v[2:]
    if isinstance(v, str) and v.startswith("b:"):
        b = bytes.fromhex(v[2:])
        if b[:2] == b"\xfe\xff":
            return b[2:].decode("utf-16-be")
        return b.decode("latin-1")
    return v


TOKEN = re.compile(rb"""
    (?P<ws>[\s\x00]+) | (?P<comment>%[^\r\n]*) |
    (?P<dopen><<) | (?P<dclose>>>) | (?P<hex><[0-9A-Fa-f\s]*>) | (?P<aopen>\[) | (?P<aclose>\]) |
    (?P<lit>\() | (?P<name>/[^\s/\[\]()<>{}%]*) |
    (?P<num>[+-]?(\d+\.?\d*|\.\d+)) | (?P<op>[A-Za-z'"*]+|\{|\})
""", re.X)


def tokens(data):
    """The tokens of a content stream: (kind, bytes). Literal strings are read
    with their nesting and escapes; inline images are refused."""
    i, n = 0, len(data)
    while i < n:
        m = TOKEN.match(data, i)
        if not m:
            raise ValueError(f"content: cannot read at byte {i}: {data[i:i + 20]!r}")
        kind = m.lastgroup
        if kind == "lit":
            depth, j = 1, m.end()
            while j < n and depth:
                c = data[j:j + 1]
                if c == b"\\":
                    j += 2
                    continue
                depth += c == b"("
                depth -= c == b")"
                j += 1
            yield "str", data[i:j]
            i = j
            continue
        i = m.end()
        if kind in ("ws", "comment"):
            continue
        if kind == "op" and m.group(0) == b"BI":
            raise ValueError("content: an inline image")
        yield kind, m.group(0)


PAINT = {b"Tj", b"TJ", b"'", b'"', b"Do", b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh"}
TEXT = {b"Tj", b"TJ", b"'", b'"'}


def walk_content(data):
    """Walk a page's content: every painting operator must lie in a
    marked-content sequence with an MCID or in an Artifact, never both
    (Matterhorn 01-003/01-004/01-005), sequences nested properly, and a
    sequence begun in a text object ended in it. Returns (problems, mcids in
    order of their sequences, {mcid: number of text operators in it}, counts)."""
    problems, mcids, text_ops = [], [], {}
    stack, operands = [], []
    counts = {"text": 0, "paint": 0, "artifact_paint": 0, "artifact_stroke": 0, "tagged_stroke": 0, "pagination_text": 0}
    in_text = None   # len(stack) at BT
    for kind, tok in tokens(data):
        if kind != "op":
            operands.append((kind, tok))
            continue
        if tok in (b"BDC", b"BMC"):
            tag = operands[0][1] if operands else b"?"
            mcid = None
            for a, b in zip(operands, operands[1:]):
                if a == ("name", b"/MCID") and b[0] == "num":
                    mcid = int(b[1])
            artifact = tag == b"/Artifact"
            if artifact and any(m is not None for _, m in stack):
                problems.append("an Artifact inside tagged content (01-003)")
            if not artifact and mcid is not None and any(t.startswith(b"/Artifact") for t, _ in stack):
                problems.append("tagged content inside an Artifact (01-004)")
            if mcid is not None:
                if mcid in mcids:
                    problems.append(f"MCID {mcid} used twice on a page")
                mcids.append(mcid)
            pagination = artifact and ("name", b"/Pagination") in operands
            stack.append((b"/Artifact/Pagination" if pagination else tag, mcid))
        elif tok == b"EMC":
            if not stack:
                problems.append("EMC without BDC")
            else:
                stack.pop()
            if in_text is not None and len(stack) < in_text:
                problems.append("a marked-content sequence begun before BT ends inside the text object")
        elif tok == b"BT":
            in_text = len(stack)
        elif tok == b"ET":
            if in_text is not None and len(stack) != in_text:
                problems.append("a marked-content sequence begun in a text object is still open at ET")
            in_text = None
        elif tok in PAINT:
            counts["paint"] += 1
            tagged = [m for _, m in stack if m is not None]
            art = any(t.startswith(b"/Artifact") for t, _ in stack)
            if tok in TEXT:
                counts["text"] += 1
                counts["pagination_text"] += any(t == b"/Artifact/Pagination" for t, _ in stack)
            if art:
                counts["artifact_paint"] += 1
            if tok in (b"S", b"s"):
                counts["artifact_stroke" if art else "tagged_stroke"] += 1
            if not tagged and not art:
                problems.append(f"'{tok.decode()}' neither tagged nor an artifact (01-005)")
            if tagged and tok in TEXT:
                text_ops[tagged[-1]] = text_ops.get(tagged[-1], 0) + 1
        operands = []
    if stack:
        problems.append(f"{len(stack)} marked-content sequences left open")
    return problems, mcids, text_ops, counts


def check_tree(doc):
    """The structure tree against the pages: every MCID in the content is
    named by the page's parent tree entry, whose element lists it on that
    page; every element's MCIDs exist; every /StructParent(s) resolves; each
    element's /P is the element whose /K holds it; every link annotation is
    in a Link element (OBJR) and has /Contents. Returns problems (strings)."""
    problems = []
    cat = doc.catalog()
    root_ref = cat.get("/StructTreeRoot")
    if not root_ref:
        return ["no /StructTreeRoot"]
    root = doc.get(root_ref)
    ptree = doc.number_tree(root["/ParentTree"]) if "/ParentTree" in root else {}
    next_key = root.get("/ParentTreeNextKey")
    if ptree and (next_key is None or next_key <= max(ptree)):
        problems.append(f"/ParentTreeNextKey {next_key} is not past the keys (largest {max(ptree)})")
    # walk the tree: (element ref) -> list of (page ref, mcid) and OBJRs
    content_of, objr_of, seen = {}, {}, set()

    def walk(ref, parent_ref):
        if ref in seen:
            problems.append(f"element {ref} reached twice")
            return
        seen.add(ref)
        el = doc.get(ref)
        if parent_ref is not None and el.get("/P") != parent_ref:
            problems.append(f"element {ref} has /P {el.get('/P')}, but {parent_ref} holds it")
        kids = el.get("/K")
        kids = kids if isinstance(kids, list) else [] if kids is None else [kids]
        for k in kids:
            if isinstance(k, int):
                if "/Pg" not in el:
                    problems.append(f"element {ref} has an MCID but no /Pg")
                content_of.setdefault(ref, []).append((el.get("/Pg"), k))
            elif isinstance(k, dict) and k.get("/Type") == "/MCR":
                content_of.setdefault(ref, []).append((k.get("/Pg", el.get("/Pg")), k["/MCID"]))
            elif isinstance(k, dict) and k.get("/Type") == "/OBJR":
                objr_of.setdefault(k["/Obj"], []).append(ref)
            elif isinstance(k, str):
                walk(k, ref)
            else:
                problems.append(f"element {ref}: a kid of a kind this check does not know: {k!r}")

    top = root.get("/K")
    for k in (top if isinstance(top, list) else [top]):
        walk(k, root_ref)
    # content -> tree, through the parent tree
    on_page = {}
    for pg in doc.pages:
        p = doc.get(pg)
        probs, mcids, _, _ = walk_content(doc.page_content(pg))
        problems += [f"page {pg}: {x}" for x in probs]
        on_page[pg] = set(mcids)
        if mcids:
            if "/StructParents" not in p:
                problems.append(f"page {pg} has marked content but no /StructParents")
                continue
            arr = ptree.get(p["/StructParents"])
            if not isinstance(arr, list):
                problems.append(f"page {pg}: /StructParents {p['/StructParents']} is not in the parent tree")
                continue
            for m in mcids:
                if m >= len(arr) or not isinstance(arr[m], str):
                    problems.append(f"page {pg}: MCID {m} has no parent in the parent tree")
                elif (pg, m) not in content_of.get(arr[m], []):
                    problems.append(f"page {pg}: MCID {m}'s parent {arr[m]} does not list it")
        for a in p.get("/Annots", []):
            ad = doc.get(a)
            if ad.get("/Subtype") == "/Widget":
                # a form field's widget (the signature's): in a Form element, with a name
                sp = ad.get("/StructParent")
                if sp is None or not isinstance(ptree.get(sp), str):
                    problems.append(f"widget annotation {a} has no /StructParent in the parent tree (28-002)")
                elif doc.get(ptree[sp]).get("/S") != "/Form" or a not in objr_of or ptree[sp] not in objr_of[a]:
                    problems.append(f"widget annotation {a} is not in its Form element (28-002)")
                if not text_of(ad.get("/TU")):
                    problems.append(f"form field {a} has no /TU (28-005)")
                continue
            if ad.get("/Subtype") != "/Link":
                continue
            sp = ad.get("/StructParent")
            if sp is None or not isinstance(ptree.get(sp), str):
                problems.append(f"link annotation {a} has no /StructParent in the parent tree")
            elif doc.get(ptree[sp]).get("/S") != "/Link" or a not in objr_of or ptree[sp] not in objr_of[a]:
                problems.append(f"link annotation {a} is not in its Link element (28-011)")
            if not text_of(ad.get("/Contents")):
                problems.append(f"link annotation {a} has no /Contents (28-004)")
    for el, items in content_of.items():
        for pg, m in items:
            if m not in on_page.get(pg, set()):
                problems.append(f"element {el} names MCID {m} on page {pg}, which has no such sequence")
    return problems


def elements_by_object(doc):
    """Every structure element reached from the root: (ref, dict), in tree order."""
    out = []
    root = doc.get(doc.catalog()["/StructTreeRoot"])

    def walk(ref):
        el = doc.get(ref)
        out.append((ref, el))
        kids = el.get("/K")
        for k in (kids if isinstance(kids, list) else [kids]):
            if isinstance(k, str):
                walk(k)

    top = root.get("/K")
    for k in (top if isinstance(top, list) else [top]):
        walk(k)
    return out
