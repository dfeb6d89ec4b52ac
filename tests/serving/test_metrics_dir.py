"""The workers' metrics directory: one per server and port, private, emptied at each start."""
import os
import stat

from serving import metrics_dir


def test_each_start_gets_an_empty_private_directory_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDIA_METRICS_DIR", str(tmp_path / "metrics"))
    monkeypatch.delenv("CLAUDIA_METRICS", raising=False)
    # set then removed, so that pytest removes what prepare() sets (it would leak into later tests)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    first = metrics_dir.prepare("rasa", 5005)
    assert first == tmp_path / "metrics" / "rasa-5005"
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(first)
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    (first / "counter_4242.db").write_bytes(b"a previous run's counts")
    (first / "histogram_4243.db").write_bytes(b"")
    other = metrics_dir.prepare("actions", 5055)
    assert other != first and (first / "counter_4242.db").exists()  # another server's files are its own
    assert metrics_dir.prepare("rasa", 5005) == first
    assert list(first.iterdir()) == []


def test_nothing_is_prepared_with_metrics_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDIA_METRICS_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("CLAUDIA_METRICS", "0")
    # set then removed, so that pytest removes what prepare() sets (it would leak into later tests)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert metrics_dir.prepare("rasa", 5005) is None
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ and not (tmp_path / "metrics").exists()
