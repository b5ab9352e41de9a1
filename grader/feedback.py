"""One self-contained HTML feedback page per submission (no scripts, no external files).

Visibility: `hidden="details"` shows every hidden test's message and hint; `hidden="summary"`
shows only how many of a function's hidden tests passed. Expected values never appear unless
grading was run with `reveal=True` (the messages are built without them otherwise).
"""

from __future__ import annotations

import html
from pathlib import Path

from cnnlab.grader.grade import SubmissionResult
from cnnlab.grader.report import write_atomic

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1d2330; background: #fafbfc; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.score { font-size: 2.4rem; font-weight: 700; margin: .5rem 0 1rem; }
.meta { color: #5b6475; font-size: .9rem; }
.bar { height: .6rem; background: #e3e7ee; border-radius: .3rem; overflow: hidden; }
.bar > span { display: block; height: 100%; background: #2f9e62; }
section { background: #fff; border: 1px solid #dde2ea; border-radius: .5rem; margin: 1rem 0;
          padding: .8rem 1rem; }
section h2 { font-size: 1.1rem; margin: 0 0 .4rem; display: flex; justify-content: space-between; }
table { border-collapse: collapse; width: 100%; }
td { border-top: 1px solid #eef1f5; padding: .35rem .4rem; vertical-align: top; }
td.status { width: 4.5rem; font-weight: 600; }
.pass { color: #2f9e62; } .fail { color: #c23b3b; }
pre { white-space: pre-wrap; margin: .2rem 0; font: 13px/1.4 ui-monospace, monospace;
      background: #f4f6f9; padding: .4rem .5rem; border-radius: .3rem; }
.hint { background: #fff6db; border-left: 3px solid #e0b400; padding: .3rem .5rem; margin-top: .3rem; }
.note { background: #eef1f5; border-left: 3px solid #8a94a6; padding: .4rem .6rem; margin: .4rem 0; }
.note.error { background: #fdecec; border-left-color: #c23b3b; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def render(result: SubmissionResult, hidden: str = "details") -> str:
    """The page as a string; `hidden` is "details" or "summary"."""
    bonus = sum(f.score for f in result.functions if f.bonus)
    required = result.score - bonus
    percent = 100 * required / result.max_score if result.max_score else 0
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(result.assignment)} feedback: {_e(result.submission)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(result.assignment)} — {_e(result.submission)}</h1>",
        f'<div class="score" id="score">{_points(required)} / {_points(result.max_score)}'
        + (f' <small>+ {_points(bonus)} bonus</small>' if bonus else "") + "</div>",
        f'<div class="bar"><span style="width:{percent:.1f}%"></span></div>',
        f'<p class="meta">graded in {result.seconds:.2f} s · isolation: {_e(result.isolation or "n/a")}</p>',
    ]
    for note in result.notes:
        kind = "note error" if note.startswith(("your code", "importing", "could not")) else "note"
        parts.append(f'<div class="{kind}"><pre>{_e(note)}</pre></div>')
    for f in result.functions:
        passed = sum(t.passed for t in f.tests)
        parts.append(f'<section id="fn-{_e(f.name)}"><h2><span>{_e(f.name)}'
                     + (" (bonus)" if f.bonus else "")
                     + f'</span><span>{_points(f.score)} / {_points(f.max_score)}</span></h2>')
        parts.append(f'<p class="meta">{passed} of {len(f.tests)} tests passed</p>')
        if hidden == "details":
            parts.append("<table>")
            for t in f.tests:
                status = '<td class="status pass">pass</td>' if t.passed else '<td class="status fail">fail</td>'
                detail = ""
                if not t.passed:
                    detail = f"<pre>{_e(t.message)}</pre>"
                    if t.hint:
                        detail += f'<div class="hint">Hint: {_e(t.hint)}</div>'
                parts.append(f"<tr>{status}<td>{_e(t.name)}{detail}</td></tr>")
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_pages(results: list[SubmissionResult], folder: Path, hidden: str = "details") -> list[Path]:
    paths = []
    for result in results:
        path = Path(folder) / f"{result.submission}.html"
        write_atomic(path, render(result, hidden))
        paths.append(path)
    return paths
