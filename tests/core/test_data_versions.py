"""The data repository (claudia.data_versions) with the real git command: authors, messages,
activations, serialized writers, pushes to a local bare repository, hostile names and remotes."""
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from claudia import data_versions
from claudia.data_versions import DataVersions, VersioningError, author_of

ROOT = Path(__file__).resolve().parents[2]


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def versions(tmp_path):
    return DataVersions(tmp_path / "repo", {"data/nlu/corrections.yml": tmp_path / "corrections.yml"}, "exemple.fr")


def write(versions, reviewer, text, name=None):
    with versions.recording(reviewer, name) as record:
        path = versions.files["data/nlu/corrections.yml"]
        path.write_text((path.read_text() if path.exists() else "") + text + "\n", encoding="utf-8")
        record.describe(f"ajout de {text}", "parce que", [text])
    return record.sha


def test_hostile_reviewer_names_make_a_plain_author():
    assert author_of("relecteur.leroy", "Rita Leroy", "exemple.fr") == ("Rita Leroy", "relecteur.leroy@exemple.fr")
    name, email = author_of("--author=x <y@z>\n$(rm -rf /)", "Évé <evil@x>\nCommitter: moi", "exemple.fr")
    assert "<" not in name and ">" not in name and "\n" not in name
    assert email == "author-x-y-z-rm--rf@exemple.fr"
    assert author_of("Élodie.Bérard", None, "exemple.fr")[1] == "elodie.berard@exemple.fr"
    assert author_of("", "", "exemple.fr") == ("relecteur-inconnu", "relecteur-inconnu@exemple.fr")


def test_a_commit_per_change_with_author_message_and_diff(versions, tmp_path):
    sha = write(versions, "--relecteur;ls", "bonjour", "Rita\nLeroy")
    assert git(versions.repo, "log", "--format=%an|%ae", "-1", sha).strip() == "Rita Leroy|relecteur-ls@exemple.fr"
    body = git(versions.repo, "show", "--format=%B", sha)
    assert body.startswith("ajout de bonjour\n\nPourquoi : parce que\n\n- bonjour\n\nRelecteur : --relecteur;ls\n")
    assert "+bonjour" in body
    assert [c.subject for c in versions.log()] == ["ajout de bonjour", "Données initiales"]
    assert versions.count() == 2 and versions.diff(sha)[-1] == "+bonjour"
    # nothing changed: no commit
    with versions.recording("rita") as record:
        record.describe("rien", "rien")
    assert record.sha is None and versions.count() == 2


def test_writers_of_several_processes_take_turns(versions, tmp_path):
    versions.ensure()
    script = ("import sys; from pathlib import Path; from claudia.data_versions import DataVersions\n"
              "v = DataVersions(Path(sys.argv[1]), {'data/nlu/corrections.yml': Path(sys.argv[2])}, 'exemple.fr')\n"
              "for n in range(5):\n"
              "    with v.recording(sys.argv[3]) as r:\n"
              "        p = Path(sys.argv[2]); old = p.read_text() if p.exists() else ''\n"
              "        p.write_text(old + sys.argv[3] + str(n) + '\\n'); r.describe(sys.argv[3] + str(n), 'test')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(versions.repo), str(tmp_path / "corrections.yml"),
                               f"p{k}"], cwd=ROOT) for k in range(3)]
    threads = [threading.Thread(target=lambda k=k: [write(versions, f"t{k}", f"t{k}-{n}") for n in range(5)])
               for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(p.wait(timeout=120) == 0 for p in procs)
    lines = (tmp_path / "corrections.yml").read_text().splitlines()
    assert len(lines) == 25 and len(set(lines)) == 25  # no write lost
    assert versions.count() == 26  # one commit each, plus the initial one
    assert git(versions.repo, "status", "--porcelain") == ""


def test_activations_are_commits_and_pushed_to_a_bare_remote(tmp_path, monkeypatch):
    remote = tmp_path / "distant.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    monkeypatch.setenv("CLAUDIA_DATA_REPO", str(tmp_path / "repo"))
    monkeypatch.setenv("CLAUDIA_DATA_REMOTE", str(remote))
    monkeypatch.setenv("CLAUDIA_DATA_EMAIL_DOMAIN", "revue.exemple.fr")
    monkeypatch.setenv("CLAUDIA_CORRECTIONS_FILE", str(tmp_path / "corrections.yml"))
    monkeypatch.setenv("CLAUDIA_REVIEW_STORIES_FILE", str(tmp_path / "stories.yml"))
    first = data_versions.record_activation("20261205-101500", "relecteur.leroy", "meilleure exactitude")
    second = data_versions.record_activation("20261204-090000", "relecteur.leroy", "retour arrière : histoire cassée")
    repo = tmp_path / "repo"
    assert git(repo, "log", "--format=%s|%ae", "-2").splitlines() == [
        "Activation du modèle 20261204-090000 (remplace 20261205-101500)|relecteur.leroy@revue.exemple.fr",
        "Activation du modèle 20261205-101500|relecteur.leroy@revue.exemple.fr"]
    assert "Pourquoi : retour arrière : histoire cassée" in git(repo, "show", "-s", "--format=%B", second)
    record = yaml.safe_load((repo / "models" / "activations.yml").read_text(encoding="utf-8"))
    assert record["actif"]["modele"] == "20261204-090000" and record["precedents"][0]["modele"] == "20261205-101500"
    assert git(remote, "rev-parse", "main").strip() == second and first != second
    monkeypatch.setenv("CLAUDIA_DATA_REPO", "off")
    assert data_versions.record_activation("x", "y", "z") is None


def test_an_unreachable_remote_keeps_the_commit_and_says_why(tmp_path):
    versions = DataVersions(tmp_path / "repo", {"a.yml": tmp_path / "a.yml"}, remote=str(tmp_path / "absent.git"))
    sha = versions.record_activation("m1", "rita", "essai")
    assert versions.last_push[0] is False and "absent.git" in versions.last_push[1]
    assert git(versions.repo, "rev-parse", "HEAD").strip() == sha


@pytest.mark.parametrize("remote", ["ext::sh -c touch% /tmp/pwned", "--upload-pack=touch /tmp/pwned", "a\nb"])
def test_command_remotes_are_refused(tmp_path, remote):
    with pytest.raises(ValueError):
        DataVersions(tmp_path / "repo", {}, remote=remote)


def test_a_bad_email_domain_falls_back_to_the_default(tmp_path):
    assert DataVersions(tmp_path / "r", {}, "x> <evil").domain == data_versions.DEFAULT_EMAIL_DOMAIN


def test_an_unknown_commit_is_none(versions):
    versions.ensure()
    assert versions.commit("HEAD") is None and versions.commit("0" * 40) is None
    assert versions.commit(versions.log()[0].sha).subject == "Données initiales"
    with pytest.raises(VersioningError):
        versions.git("show", "nope")


def test_the_current_version_includes_changes_made_outside_the_review(versions, tmp_path):
    first = versions.current_version()
    assert versions.current_version() == first  # nothing changed: no commit
    (tmp_path / "corrections.yml").write_text("modifié à la main\n", encoding="utf-8")
    second = versions.current_version()
    assert second != first and versions.log()[0].subject == "Modifications faites hors de la revue"
    assert versions.log()[0].author == "ClaudIA"
