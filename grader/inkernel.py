"""Hidden tests run inside a notebook's own kernel: the bridge for nbgrader's autograde.

The autograded cells of the source notebooks call `score("conv", "conv_forward", conv_forward)`
inside `### BEGIN HIDDEN TESTS` markers. The cell's value is the points earned, which nbgrader
takes as partial credit, so nbgrader awards the same points as `cnnlab grade` for the same
seed. Unlike `cnnlab grade`, this runs student code in the same process as the reference and
the expected values: no isolation, no hidden expected values (see the README).
"""

from __future__ import annotations

import os

from cnnlab.grader import registry, sandbox
from cnnlab.grader.grade import CasePlan, _call, _judge

DEFAULT_SEED = 0


def score(assignment_name: str, function: str, implementation, seed: int | None = None) -> float:
    """Points earned by `implementation` on `function`'s hidden cases; prints what failed."""
    seed = int(os.environ.get("CNNLAB_SEED", DEFAULT_SEED)) if seed is None else seed
    assignment = registry.load(assignment_name)
    fn = assignment.function(function)
    plan = CasePlan(assignment, seed, only=[function])
    per_case = fn.points / len(plan.cases[function])
    earned = 0.0
    for case, expected in zip(plan.cases[function], plan.expected[function]):
        try:
            outcome = sandbox.Outcome("ok", _as_plain(_call(implementation, case, fn, plan.harness)))
        except NotImplementedError:
            outcome = sandbox.Outcome("error", message="not implemented yet (raises NotImplementedError)")
        except Exception as exc:  # noqa: BLE001 - any error fails this case only
            outcome = sandbox.Outcome("error", message=f"{type(exc).__name__}: {exc}")
        result = _judge(fn, case, expected, outcome, per_case, False, plan)
        earned += result.score
        if not result.passed:
            print(f"{function} [{case.name}]: {result.message}"
                  + (f"\nHint: {result.hint}" if result.hint else ""))
    return round(earned, 4)


def _as_plain(value):
    """What the child would send: framework tensors become NumPy arrays."""
    from cnnlab.grader import wire

    arrays: dict = {}
    tree = wire.encode(value, arrays)
    return wire.decode(tree, arrays)
