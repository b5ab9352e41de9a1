"""Procedurally drawn cartoon faces with identities, for one-shot verification.

A *person* (an identity) is a vector of face parameters drawn once: the shape of the
head and chin, skin tone, hair colour, hairline, hair volume and length, eye spacing, size
and colour, eyebrows, nose, mouth, and sometimes glasses or a beard. Every *photo* of that
person redraws only nuisance factors: where the head is and how large, a small in-plane
tilt, the expression (smile, how open the eyes are, raised brows), the lighting (brightness,
a light gradient, a colour cast), the background and pixel noise. A face encoder therefore
has to ignore the nuisance and keep the identity, as with real photos.

Drawing uses numpy only. Each part of a face is a signed distance field in *face units*
(the head is about 2 units tall, `v` grows downwards) evaluated at the pixel centres, and
its coverage is `clip(0.5 - distance_in_pixels, 0, 1)`, an edge one pixel wide.

Determinism: `make_faces(n, k, seed)` reads all its randomness from one
`numpy.random.default_rng(seed)`, so the same arguments give the same pixels. The fixed
splits of `FACE_SPLITS` use different seeds, so their identities are disjoint in
practice (continuous parameters never repeat): the test people are never seen in training.

    images, labels = load_faces("train")  # (4000, 40, 40, 3) uint8, (4000,) int64
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["FACE_SPLITS", "make_identities", "render_faces", "make_faces", "load_faces",
           "save_face_grid"]

# Fixed splits served by `load_faces`: disjoint people (different seeds).
FACE_SPLITS = {
    "train": {"identities": 400, "per_identity": 10, "seed": 5005, "image_size": 40},
    "test": {"identities": 100, "per_identity": 10, "seed": 6006, "image_size": 40},
}

_VIEW = 2.6  # face units across the image at scale 1
_CHUNK = 256  # images drawn at once (bounds peak memory)

_SKIN_LIGHT = np.array([244, 214, 190], np.float32)
_SKIN_DARK = np.array([104, 68, 48], np.float32)
_HAIR = np.array([[25, 20, 20], [70, 45, 30], [120, 80, 45], [205, 170, 100], [165, 70, 35],
                  [150, 150, 150], [235, 230, 220], [40, 40, 90]], np.float32)
_IRIS = np.array([[60, 100, 170], [70, 130, 80], [100, 65, 40], [35, 25, 20], [120, 120, 130]],
                 np.float32)
_LIPS = np.array([[180, 70, 80], [150, 60, 60], [200, 110, 110], [120, 50, 55]], np.float32)
_FRAMES = np.array([[20, 20, 20], [150, 40, 40], [40, 60, 150], [190, 160, 60]], np.float32)


# --------------------------------------------------------------------------
# Identities
# --------------------------------------------------------------------------

def make_identities(n, rng):
    """Draw `n` people.

    Args:
        n: int, number of identities.
        rng: `numpy.random.Generator`.

    Returns:
        dict of arrays with leading axis `n`: float32 shape parameters of shape `(n,)`
        (`face_w`, `face_h`, `chin`, `hairline`, `hair_volume`, `hair_length`, `eye_y`,
        `eye_dx`, `eye_r`, `brow_gap`, `brow_len`, `brow_thick`, `brow_tilt`, `nose_len`,
        `nose_w`, `mouth_y`, `mouth_w`, `mouth_thick`, `smile`), colours of shape `(n, 3)`
        (`skin`, `hair`, `iris`, `lips`, `frame`) and bools of shape `(n,)` (`bald`,
        `glasses`, `beard`).
    """
    u = lambda lo, hi: rng.uniform(lo, hi, n).astype(np.float32)  # noqa: E731
    tone = rng.uniform(0, 1, n)[:, None]
    skin = (1 - tone) * _SKIN_LIGHT + tone * _SKIN_DARK + rng.normal(0, 6, (n, 3))
    hair = _HAIR[rng.integers(0, len(_HAIR), n)] + rng.normal(0, 10, (n, 3))
    return {
        "face_w": u(0.56, 0.80), "face_h": u(0.80, 1.00), "chin": u(0.0, 0.35),
        "hairline": u(-0.78, -0.35), "hair_volume": u(0.03, 0.22), "hair_length": u(-0.6, 0.9),
        "eye_y": u(-0.28, -0.05), "eye_dx": u(0.20, 0.34), "eye_r": u(0.075, 0.13),
        "brow_gap": u(0.10, 0.20), "brow_len": u(0.12, 0.22), "brow_thick": u(0.025, 0.065),
        "brow_tilt": u(-0.35, 0.35), "nose_len": u(0.12, 0.32), "nose_w": u(0.035, 0.09),
        "mouth_y": u(0.38, 0.62), "mouth_w": u(0.13, 0.30), "mouth_thick": u(0.025, 0.06),
        "smile": u(-0.04, 0.10),
        "skin": np.clip(skin, 0, 255).astype(np.float32),
        "hair": np.clip(hair, 0, 255).astype(np.float32),
        "iris": (_IRIS[rng.integers(0, len(_IRIS), n)] + rng.normal(0, 8, (n, 3))).astype(np.float32),
        "lips": (_LIPS[rng.integers(0, len(_LIPS), n)] + rng.normal(0, 8, (n, 3))).astype(np.float32),
        "frame": _FRAMES[rng.integers(0, len(_FRAMES), n)],
        "bald": rng.random(n) < 0.08,
        "glasses": rng.random(n) < 0.2,
        "beard": rng.random(n) < 0.18,
    }


def _nuisance(m, rng, jitter):
    """Per-photo factors; `jitter` in [0, 1] scales how far they stray from neutral."""
    j = float(jitter)
    u = lambda lo, hi: (j * rng.uniform(lo, hi, m)).astype(np.float32)  # noqa: E731
    return {
        "dx": u(-0.12, 0.12), "dy": u(-0.10, 0.10), "scale": 1.0 + u(-0.10, 0.10),
        "angle": u(-0.22, 0.22), "smile": u(-0.04, 0.08), "eye_open": 1.0 - u(0.0, 0.45),
        "brow_raise": u(-0.02, 0.05), "bright": 1.0 + u(-0.22, 0.18),
        "light_x": u(-0.25, 0.25), "light_y": u(-0.15, 0.15),
        "cast": (j * rng.normal(0, 0.04, (m, 3))).astype(np.float32),
        "bg_a": rng.uniform(40, 235, (m, 3)).astype(np.float32),
        "bg_b": rng.uniform(40, 235, (m, 3)).astype(np.float32),
        "bg_dir": rng.uniform(0, 2 * np.pi, m).astype(np.float32),
        "noise": u(1.0, 7.0),
    }


# --------------------------------------------------------------------------
# Signed distances (face units, negative inside); arrays broadcast to (m, S, S)
# --------------------------------------------------------------------------

def _ellipse(u, v, cu, cv, a, b):
    """Approximate distance to the ellipse centred at `(cu, cv)` with semi-axes `(a, b)`."""
    qu, qv = (u - cu) / a, (v - cv) / b
    r = np.sqrt(qu * qu + qv * qv)
    rs = np.maximum(r, 1e-6)
    grad = np.sqrt((qu / (rs * a)) ** 2 + (qv / (rs * b)) ** 2)
    return (r - 1.0) / np.maximum(grad, 1.0 / np.maximum(a, b))


def _segment(u, v, u0, v0, u1, v1, radius):
    """Distance to the segment `(u0, v0)-(u1, v1)` thickened by `radius` (a capsule)."""
    eu, ev = u1 - u0, v1 - v0
    wu, wv = u - u0, v - v0
    t = np.clip((wu * eu + wv * ev) / (eu * eu + ev * ev + 1e-12), 0.0, 1.0)
    du, dv = wu - eu * t, wv - ev * t
    return np.sqrt(du * du + dv * dv) - radius


def _over(canvas, alpha, colour):
    """Paint `colour` (m, 3) over `canvas` (m, S, S, 3) with coverage `alpha` (m, S, S)."""
    a = alpha[..., None]
    canvas *= 1.0 - a
    canvas += a * colour[:, None, None, :]


def _cover(dist, px):
    """Coverage of a distance field given in face units (`px` pixels per unit)."""
    return np.clip(0.5 - dist * px, 0.0, 1.0)


def _draw(p, size, rng):
    """Render one chunk: `p` holds per-image identity and nuisance parameters."""
    m = p["face_w"].shape[0]
    col = lambda k: p[k][:, None, None]  # noqa: E731
    px = size / _VIEW * p["scale"][:, None, None]  # pixels per face unit
    centre = np.arange(size, dtype=np.float32) + 0.5 - size / 2
    x = centre[None, None, :] - col("dx") * size
    y = centre[None, :, None] - col("dy") * size
    cos, sin = np.cos(col("angle")), np.sin(col("angle"))
    u = (cos * x + sin * y) / px  # rotate the pixel grid into the face's frame
    v = (-sin * x + cos * y) / px

    # Background: a linear blend of two colours along a random direction.
    t = (np.cos(p["bg_dir"])[:, None, None] * centre[None, None, :]
         + np.sin(p["bg_dir"])[:, None, None] * centre[None, :, None]) / size + 0.5
    t = np.clip(t, 0, 1)[..., None]
    img = (1 - t) * p["bg_a"][:, None, None, :] + t * p["bg_b"][:, None, None, :]

    w, h = col("face_w"), col("face_h")
    # Chin: the lower half of the head narrows with v (a pointier jaw for larger `chin`).
    narrow = 1.0 - col("chin") * np.clip(v / h, 0, 1) ** 2
    head = _ellipse(u / narrow, v, 0.0, 0.0, w, h) * np.minimum(narrow, 1.0)
    has_hair = ~p["bald"][:, None, None]

    # Hair behind the head: a larger ellipse, cut at `hair_length` below the centre.
    vol = col("hair_volume")
    back = np.maximum(_ellipse(u, v, 0.0, -0.08, w + vol, h + 0.6 * vol + 0.08),
                      v - col("hair_length"))
    back = np.where(has_hair & (col("hair_length") > -0.2), back, 1e3)
    _over(img, _cover(back, px), p["hair"])

    skin = p["skin"] * 1.0
    _over(img, _cover(head, px), skin)

    if p["beard"].any():
        beard = np.maximum(head, col("mouth_y") - 0.12 - v)
        beard = np.where(p["beard"][:, None, None], beard, 1e3)
        _over(img, 0.85 * _cover(beard, px), p["hair"] * 0.8)

    # Fringe: the part of the (slightly larger) head above the hairline.
    top = np.maximum(_ellipse(u, v, 0.0, -0.04, w + 0.35 * vol, h + 0.06 + 0.3 * vol),
                     v - col("hairline") - 0.06 * np.cos(3.0 * u))
    top = np.where(has_hair, top, 1e3)
    _over(img, _cover(top, px), p["hair"])

    # Eyes: white, iris, pupil; `eye_open` squashes them vertically.
    ey, er, open_ = col("eye_y"), col("eye_r"), col("eye_open")
    for side in (-1.0, 1.0):
        ex = side * col("eye_dx")
        _over(img, _cover(_ellipse(u, v, ex, ey, 1.35 * er, er * open_), px),
              np.full((m, 3), 245, np.float32))
        iris = np.maximum(_ellipse(u, v, ex, ey, 0.7 * er, 0.7 * er), np.abs(v - ey) - er * open_)
        _over(img, _cover(iris, px), p["iris"])
        pupil = np.maximum(_ellipse(u, v, ex, ey, 0.3 * er, 0.3 * er), np.abs(v - ey) - er * open_)
        _over(img, _cover(pupil, px), np.full((m, 3), 10, np.float32))
        # Eyebrow: a capsule above the eye, tilted (mirrored on the other side).
        by = ey - er - col("brow_gap") - col("brow_raise")
        half, tilt = col("brow_len") / 2, col("brow_tilt")
        brow = _segment(u, v, ex - half, by + side * tilt * half, ex + half, by - side * tilt * half,
                        col("brow_thick"))
        _over(img, _cover(brow, px), p["hair"] * 0.7)
        if p["glasses"].any():
            rim = np.abs(_ellipse(u, v, ex, ey, 2.0 * er + 0.03, 1.6 * er + 0.03)) - 0.022
            rim = np.where(p["glasses"][:, None, None], rim, 1e3)
            _over(img, _cover(rim, px), p["frame"])
    if p["glasses"].any():
        bridge = _segment(u, v, -col("eye_dx") + 2.0 * er + 0.03, ey, col("eye_dx") - 2.0 * er - 0.03,
                          ey, 0.02)
        bridge = np.where(p["glasses"][:, None, None], bridge, 1e3)
        _over(img, _cover(bridge, px), p["frame"])

    # Nose: a short vertical capsule, a darker shade of the skin.
    nose = _segment(u, v, 0.0, ey + 0.05, 0.0, ey + 0.05 + col("nose_len"), col("nose_w"))
    _over(img, 0.8 * _cover(nose, px), skin * 0.78)

    # Mouth: a thick parabola; corners rise by `smile` (v grows downwards).
    mw, my, smile = col("mouth_w"), col("mouth_y"), col("smile")
    centre_line = my + smile * (1.0 - (u / mw) ** 2)
    mouth = np.maximum(np.abs(v - centre_line) - col("mouth_thick"), np.abs(u) - mw)
    _over(img, _cover(mouth, px), p["lips"])

    # Lighting: brightness, a linear gradient across the image, a colour cast.
    light = (col("bright") + col("light_x") * (x / size) * 2 + col("light_y") * (y / size) * 2)
    img *= light[..., None] * (1.0 + p["cast"][:, None, None, :])
    img += rng.standard_normal(img.shape, dtype=np.float32) * col("noise")[..., None]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def render_faces(identities, labels, rng, image_size=40, jitter=1.0):
    """Draw one photo of person `labels[i]` for every `i`.

    Args:
        identities: dict from `make_identities`, arrays with leading axis `n`.
        labels: int array of shape `(m,)`, values in `[0, n)`.
        rng: `numpy.random.Generator`, for the nuisance factors and the noise.
        image_size: int S, photos are `S x S`.
        jitter: float in `[0, 1]`, how strongly pose, expression and lighting vary (0: every
            photo of a person is the same, up to background and noise).

    Returns:
        uint8 array of shape `(m, S, S, 3)`.
    """
    labels = np.asarray(labels, dtype=np.int64)
    out = np.empty((len(labels), image_size, image_size, 3), np.uint8)
    for start in range(0, len(labels), _CHUNK):
        ids = labels[start:start + _CHUNK]
        params = {k: v[ids] for k, v in identities.items()}
        nuisance = _nuisance(len(ids), rng, jitter)
        params["smile"] = params["smile"] + nuisance.pop("smile")
        params.update(nuisance)
        out[start:start + len(ids)] = _draw(params, image_size, rng)
    return out


def make_faces(n_identities, per_identity, seed=0, image_size=40, jitter=1.0):
    """`per_identity` photos of each of `n_identities` new people.

    Args:
        n_identities: int, number of people.
        per_identity: int, photos per person.
        seed: int, seed of the one generator everything is drawn from.
        image_size: int S.
        jitter: float in `[0, 1]`, see `render_faces`.

    Returns:
        images: uint8 array of shape `(n_identities * per_identity, S, S, 3)`, grouped by
            person: photos `k * per_identity ... (k + 1) * per_identity - 1` show person k.
        labels: int64 array of shape `(n_identities * per_identity,)`, the person of each photo.
    """
    rng = np.random.default_rng(seed)
    identities = make_identities(n_identities, rng)
    labels = np.repeat(np.arange(n_identities, dtype=np.int64), per_identity)
    return render_faces(identities, labels, rng, image_size, jitter), labels


@functools.lru_cache(maxsize=4)
def _load(split):
    spec = FACE_SPLITS[split]
    return make_faces(spec["identities"], spec["per_identity"], spec["seed"], spec["image_size"])


def load_faces(split="train"):
    """A fixed split of `FACE_SPLITS` ("train" or "test"; their people are disjoint).

    Returns:
        images: uint8 array of shape `(N, 40, 40, 3)` (read-only; copy to modify).
        labels: int64 array of shape `(N,)`, grouped by person as in `make_faces`.
    """
    if split not in FACE_SPLITS:
        raise ValueError(f"split must be one of {sorted(FACE_SPLITS)}, got {split!r}")
    images, labels = _load(split)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def save_face_grid(path, images, labels, people=6, per_person=8):
    """Save a grid of photos, one person per row, as a PNG (matplotlib's OO API).

    Args:
        path: str or path-like.
        images: uint8 array of shape `(N, S, S, 3)`.
        labels: int array of shape `(N,)`.
        people: int, rows (the first people found in `labels`).
        per_person: int, at most this many photos per row.

    Returns:
        `pathlib.Path` of the written file.
    """
    from pathlib import Path

    from matplotlib.figure import Figure

    chosen = list(dict.fromkeys(np.asarray(labels).tolist()))[:people]
    fig = Figure(figsize=(1.1 * per_person, 1.15 * len(chosen)))
    for r, person in enumerate(chosen):
        idx = np.flatnonzero(np.asarray(labels) == person)[:per_person]
        for c, i in enumerate(idx):
            ax = fig.add_subplot(len(chosen), per_person, r * per_person + c + 1)
            ax.imshow(images[i], interpolation="nearest")
            ax.set_axis_off()
            if c == 0:
                ax.set_title(f"person {person}", fontsize=7, loc="left")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
