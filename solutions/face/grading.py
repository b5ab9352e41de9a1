"""Hidden tests of the `face` assignment: cases, points and known mistakes.

`triplet_loss` gets random batches of unit-length (and some unnormalized) encodings of
several sizes, with the margin at its default and set by keyword, plus fixed batches where
every triplet is easy (the loss is 0) or hard. `verify` and `who_is_it` get procedurally
drawn face photos (`cnnlab.data.faces`), a tiny encoder given by its weights (built by
`harness.build_encoder` in the student's process) and a database whose encodings are placed
at chosen distances from the photo's own encoding: well inside and well outside the
threshold 0.7, and between 0.7 and sqrt(0.7), where squaring the distance flips the door.
"""

import numpy as np
from keras import ops

from cnnlab.data import faces
from cnnlab.grader import registry
from cnnlab.grader.spec import Assignment, Case, GradedFunction, Mistake, load_module, sibling

ref = sibling(__file__, "face.py")
harness = load_module(registry.assignments_dir() / "face" / "harness.py", "cnnlab_face_harness_cases")

NAMES = ["ada", "bruno", "chen", "dalia", "emeka", "farah", "goran", "hana", "ivo", "jun", "kemal",
         "lena", "mateo", "nia", "oskar", "priya"]


# --- triplet_loss ---------------------------------------------------------------------------

def _unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _triplets(rng, m, d, normalize=True):
    """Positives and negatives at random distances from the anchor: some triplets are
    already easy (their term clamps to 0), the others are not."""
    a = rng.standard_normal((m, d))
    p = a + rng.uniform(0.1, 2.0, (m, 1)) * rng.standard_normal((m, d))
    n = a + rng.uniform(0.3, 2.5, (m, 1)) * rng.standard_normal((m, d))
    if not normalize:
        return tuple(x.astype(np.float32) for x in (a, p, n))
    return _unit(a), _unit(p), _unit(n)


def triplet_loss_cases(rng):
    a = _unit(rng.standard_normal((6, 16)))
    easy = (a, _unit(a + 0.01 * rng.standard_normal(a.shape)), -a)  # every term clamps to 0
    hard = (a, -a, a.copy())  # every term is positive
    m, d = int(rng.integers(5, 40)), int(rng.choice([3, 10, 64]))
    return [
        Case("8 triplets of 16-d unit encodings", (None, _triplets(rng, 8, 16))),
        Case("32 triplets of 128-d encodings", (None, _triplets(rng, 32, 128))),
        Case("alpha = 0.5 given by keyword", (None, _triplets(rng, 10, 8)), {"alpha": 0.5}),
        Case("unnormalized encodings, 2-d", (None, _triplets(rng, 12, 2, normalize=False))),
        Case("every triplet already easy: loss 0", (None, easy)),
        Case("every triplet hard, alpha = 0.3", (None, hard), {"alpha": 0.3}),
        Case("y_pred given as a list", (None, list(_triplets(rng, 5, 4)))),
        Case(f"random batch: {m} triplets of {d}-d encodings", (None, _triplets(rng, m, d))),
    ]


def _distances(y_pred, reduce=ops.sum, axis=-1):
    a, p, n = y_pred[0], y_pred[1], y_pred[2]
    return reduce(ops.square(a - p), axis=axis), reduce(ops.square(a - n), axis=axis)


def triplet_mean(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred)
    return ops.mean(ops.maximum(pos - neg + alpha, 0.0))


def triplet_mean_over_d(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred, reduce=ops.mean)
    return ops.sum(ops.maximum(pos - neg + alpha, 0.0))


def triplet_no_alpha(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred)
    return ops.sum(ops.maximum(pos - neg, 0.0))


def triplet_no_clamp(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred)
    return ops.sum(pos - neg + alpha)


def triplet_axis_0(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred, axis=0)
    return ops.sum(ops.maximum(pos - neg + alpha, 0.0))


def triplet_no_axis(y_true, y_pred, alpha=0.2):
    pos, neg = _distances(y_pred, axis=None)
    return ops.sum(ops.maximum(pos - neg + alpha, 0.0))


def triplet_not_squared(y_true, y_pred, alpha=0.2):
    a, p, n = y_pred[0], y_pred[1], y_pred[2]
    pos, neg = ops.norm(a - p, axis=-1), ops.norm(a - n, axis=-1)
    return ops.sum(ops.maximum(pos - neg + alpha, 0.0))


AXIS_HINT = ("each triplet has its own squared distances: sum the squared differences over "
             "the encoding axis only (axis=-1), which gives shape (m,), then clamp, then sum "
             "over the m triplets")


# --- verify and who_is_it -------------------------------------------------------------------

def _photos(rng, people, per, size):
    images, labels = faces.make_faces(people, per, seed=int(rng.integers(2**31)), image_size=size)
    return images


def _encoding(image, weights):
    model = harness.build_encoder(weights, image.shape)
    return np.asarray(ops.convert_to_numpy(ref.img_to_encoding(image, model)), np.float64)


def _at_distance(rng, encoding, r):
    """A unit vector at L2 distance `r` (0 < r < 2) from the unit vector `encoding` (1, d)."""
    e = encoding.ravel() / np.linalg.norm(encoding)
    u = rng.standard_normal(e.size)
    u -= (u @ e) * e
    u /= np.linalg.norm(u)
    theta = 2 * np.arcsin(r / 2)
    return (np.cos(theta) * e + np.sin(theta) * u)[None].astype(np.float32)


def _scene(rng, distances, size=40, d=32, filters=16, crop=None):
    """A photo, encoder weights, and {name: encoding at distances[i] from the photo's}."""
    image = _photos(rng, 1, 1, size)[0]
    if crop:
        image = np.ascontiguousarray(image[:crop[0], :crop[1]])
    weights = harness.random_encoder_weights(rng, image.shape[-1], filters, d)
    e = _encoding(image, weights)
    names = list(rng.choice(NAMES, size=len(distances), replace=False))
    database = {str(n): _at_distance(rng, e, r) for n, r in zip(names, distances)}
    return image, database, weights, [str(n) for n in names]


def _random_distance(rng):
    """Well inside or well outside the threshold, never near it or near 1 (d == d**2)."""
    return float(rng.choice([rng.uniform(0.15, 0.62), rng.uniform(0.76, 0.83), rng.uniform(1.15, 1.6)]))


def verify_cases(rng):
    cases = []

    def case(name, distances, claim, **scene):
        image, database, weights, names = _scene(rng, distances, **scene)
        cases.append(Case(name, (image, names[claim], database, weights)))

    case("the right person (distance 0.35): the door opens", [0.35, 1.3, 0.9], 0)
    case("someone else (distance 1.2): the door stays shut", [0.5, 1.2], 1)
    case("distance 0.78: shut (0.78 squared would be 0.61)", [1.1, 0.78, 0.3], 1)
    case("claimed name is the last of five", [1.4, 0.9, 0.45, 1.0, 0.58], 4, size=32, d=16)
    case("non-square photo (36 x 28), 64-d encodings", [0.66, 0.2], 0, crop=(36, 28), d=64)
    k = int(rng.integers(1, 6))
    case(f"random database of {k}", [_random_distance(rng) for _ in range(k)], int(rng.integers(k)),
         size=int(rng.choice([24, 40, 48])), d=int(rng.choice([8, 32, 128])))
    return cases


def verify_squared(image, identity, database, model):
    encoding = ref.img_to_encoding(image, model)
    dist = float(ops.sum(ops.square(encoding - database[identity])))
    return dist, dist < ref.THRESHOLD


def verify_inverted(image, identity, database, model):
    dist, door_open = ref.verify(image, identity, database, model)
    return dist, not door_open


def verify_not_normalized(image, identity, database, model):
    embedding = model(np.asarray(image, np.float32)[None] / 255.0, training=False)
    dist = float(ops.norm(embedding - database[identity]))
    return dist, dist < ref.THRESHOLD


def who_is_it_cases(rng):
    cases = []

    def case(name, distances, **scene):
        image, database, weights, _ = _scene(rng, distances, **scene)
        cases.append(Case(name, (image, database, weights)))

    case("nearest of four at 0.45", [1.2, 0.45, 0.95, 0.6])
    case("nobody within 0.7: still the nearest name and its distance", [1.3, 0.8, 1.5])
    case("a database of one person", [0.5], size=32)
    case("the nearest is the last entry, the farthest the first", [1.7, 1.1, 0.9, 0.3], d=64)
    case("non-square photo (40 x 30)", [0.62, 0.75, 1.4], crop=(40, 30), d=16)
    k = int(rng.integers(2, 8))
    case(f"random database of {k}", list(rng.permutation([_random_distance(rng) for _ in range(k)])),
         size=int(rng.choice([24, 40, 48])), d=int(rng.choice([8, 32, 128])))
    return cases


def _search(image, database, model, distance, better):
    encoding = ref.img_to_encoding(image, model)
    best, identity = None, None
    for name, db_enc in database.items():
        dist = float(distance(encoding - db_enc))
        if best is None or better(dist, best):
            best, identity = dist, name
    return best, identity


def who_is_it_squared(image, database, model):
    return _search(image, database, model, lambda x: ops.sum(ops.square(x)), lambda a, b: a < b)


def who_is_it_farthest(image, database, model):
    return _search(image, database, model, ops.norm, lambda a, b: a > b)


def who_is_it_last(image, database, model):
    """Keeps the distance and name of the last entry (e.g. the update is outside the if)."""
    encoding = ref.img_to_encoding(image, model)
    name = list(database)[-1]
    return float(ops.norm(encoding - database[name])), name


ASSIGNMENT = Assignment(
    name="face",
    title="Face verification and recognition with the triplet loss",
    module="face",
    needs_tensorflow=True,
    timeout=20.0,
    error_hints=[
        (r"KeyError", "look the claimed name up in `database` (a dict: name -> encoding)"),
        (r"object has no attribute 'numpy'|has no attribute 'get_shape'",
         "use keras.ops functions, which accept NumPy arrays and tensors alike"),
    ],
    functions=[
        GradedFunction("triplet_loss", 40, ref.triplet_loss, triplet_loss_cases, rtol=1e-4, atol=1e-5,
                       mistakes=[
                           Mistake("you averaged over the triplets: the loss is the sum of the m "
                                   "clamped terms (ops.sum, not ops.mean)", triplet_mean),
                           Mistake("a squared distance is the sum of squared differences over the "
                                   "encoding axis (ops.sum(..., axis=-1)), not their mean",
                                   triplet_mean_over_d),
                           Mistake("you forgot the margin: add alpha inside the max, "
                                   "pos_dist - neg_dist + alpha", triplet_no_alpha),
                           Mistake("you forgot to clamp at 0: take ops.maximum(pos_dist - neg_dist "
                                   "+ alpha, 0) before summing", triplet_no_clamp),
                           Mistake("you summed over the wrong axis (the batch axis): " + AXIS_HINT,
                                   triplet_axis_0),
                           Mistake("you summed over every axis at once: " + AXIS_HINT, triplet_no_axis),
                           Mistake("the triplet loss uses squared L2 distances: "
                                   "ops.sum(ops.square(anchor - positive), axis=-1), not a norm",
                                   triplet_not_squared),
                       ]),
        GradedFunction("verify", 30, ref.verify, verify_cases, returns=("dist", "door_open"),
                       harness="harness_verify", rtol=1e-4, atol=1e-5,
                       mistakes=[
                           Mistake("dist must be the L2 distance, not squared: "
                                   "ops.norm(encoding - database[identity])", verify_squared),
                           Mistake("the door opens when the distance is small: door_open = dist < 0.7",
                                   verify_inverted),
                           Mistake("compute the photo's encoding with img_to_encoding(image, model), "
                                   "which scales the pixels and normalizes the encoding",
                                   verify_not_normalized),
                       ]),
        GradedFunction("who_is_it", 30, ref.who_is_it, who_is_it_cases, returns=("min_dist", "identity"),
                       harness="harness_who_is_it", rtol=1e-4, atol=1e-5,
                       mistakes=[
                           Mistake("min_dist must be the L2 distance, not squared: "
                                   "ops.norm(encoding - db_enc)", who_is_it_squared),
                           Mistake("you kept the farthest person: update min_dist and identity when "
                                   "dist < min_dist", who_is_it_farthest),
                           Mistake("you returned the last entry of the database: update min_dist and "
                                   "identity together, only when dist < min_dist (start min_dist large, "
                                   "e.g. 100)", who_is_it_last),
                       ]),
    ],
)
