"""The testers page on the real web front: reviewers only, CSRF, the link it makes opens a session."""
import asyncio
import re
from html import unescape
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from claudia import services, testers
from claudia.accounts import Accounts
from tests.conftest import SECRET
from tests.web.test_review_pages import sign_in
from web.console import create_app
from web.portal import add_portal
from web.review import Review
from web.review_pages import add_review
from web.testers import add_testers

ROOT = Path(__file__).resolve().parents[2]


def test_reviewers_make_links_that_open_a_test_session(env):
    accounts = Accounts(services.handoffs().db)
    accounts.upsert("relecteur", "Rita", "mot-de-passe-3", role="relecteur")
    accounts.upsert("agent", "Sophie", "mot-de-passe-1")
    review = Review(services.handoffs().db, f"sqlite:///{env / 'tracker.db'}", corrections_file=env / "c.yml",
                    stories_file=env / "s.yml", domain_file=ROOT / "domain.yml")

    async def main():
        app = create_app("http://127.0.0.1:9", "token")
        add_portal(app, "http://127.0.0.1:9", "demo")
        add_review(app, review, ROOT / "domain.yml", background=False)
        add_testers(app)
        async with TestClient(TestServer(app)) as client:
            await sign_in(client, "agent", "mot-de-passe-1")
            assert (await client.get("/console/revue/testeurs")).status == 403
            csrf = await sign_in(client)
            refused = await client.post("/console/revue/testeurs", data={"name": "Camille", "hours": "2"})
            assert refused.status == 403
            made = unescape(await (await client.post("/console/revue/testeurs", data={
                "csrf": csrf, "name": "Camille <i>Essai</i>", "hours": "2"})).text())
            link = re.search(r'value="(http://[^"]+/essai/[^"]+)"', made).group(1)
            assert "Lien d'invitation de Camille <i>Essai</i>" in made
            bad_hours = await client.post("/console/revue/testeurs", data={"csrf": csrf, "name": "x", "hours": "9999"})
            assert bad_hours.status == 400
            token = link.rsplit("/", 1)[1]
            invitation = testers.read_invitation(token, SECRET)
            opened = await client.get(f"/essai/{token}")
            assert opened.status == 200 and "claudia_portail" in opened.cookies
            home = await client.get("/")
            assert "Mode test" in await home.text() and invitation.login in await home.text()
            test_registry = services.test_registry()
            assert [s["siret"] for s in test_registry.managed_structures(invitation.login)]  # the demo manager's roles
            assert services.registry().real.managed_structures(invitation.login) == []

    asyncio.run(main())
