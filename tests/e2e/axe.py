"""axe-core in the browser tests: every page and state must have zero violations.

axe-core comes from npm (package.json at the top of the repository, `npm ci`),
never from a CDN. Use:

    from tests.e2e.axe import assert_accessible
    assert_accessible(page, "portail, discussion ouverte")

or `violations(page)` to get axe's violations as a list of dicts.
"""
from __future__ import annotations

from typing import List

from tests.e2e.stack import ROOT

AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.x A and AA plus axe's best practices (landmarks, headings, region...).
RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def violations(page) -> List[dict]:
    """Runs axe-core on the page as it is now; returns its violations (id, impact, nodes)."""
    if not AXE_SCRIPT.exists():
        raise AssertionError("axe-core is missing: run `npm ci` at the top of the repository")
    # add_script_tag with a path inlines the file: it works under the pages' strict CSP too,
    # since Playwright injects it through the DevTools protocol, not as a page script.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}));
        }""", RULESETS)
    return result


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    if found:
        lines = [f"{v['impact']} {v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in found]
        raise AssertionError(f"axe-core violations ({where or page.url}):\n" + "\n".join(lines))
