import json

from priorgraph.ingest import sample
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.perturbseq import load_dataset
from priorgraph.kg import ids
from priorgraph.models import writeback


def test_simulate_train_gears_and_adapert_then_delete(cli, graph, tmp_path):
    """GO graph → simulate on it → ingest → split → train --tiny → learned edges → delete."""
    sample.load_sample(graph, sample.generated_sample(n_genes=30, n_terms=30, seed=1))
    build_go_graph(graph, GOGraphSpec("g"), progress=False)
    sizes = ("--genes", 24, "--singles", 8, "--doubles", 8, "--cells", 25, "--control-cells", 100)
    out = cli("simulate", "--out", tmp_path / "sim.h5ad", *sizes, "--prior-go-graph", "g")
    assert out.exit_code == 0, out.output
    assert "prior:" in out.output and (tmp_path / "sim.network.tsv").is_file()
    assert cli("ingest", "perturbseq", tmp_path / "sim.h5ad", "--dataset", "sim").exit_code == 0
    assert cli("split", "create", "sim", "s1", "--seed", 1).exit_code == 0
    run_ids = {}
    for model in ("gears", "adapert", "additive", "graph_gp"):
        out = cli("train", "--model", model, "--dataset", "sim", "--split", "s1",
                  "--go-graph", "g", "--tiny", "--steps", 4, "--mode", "pseudobulk",
                  "--format", "json")  # fmt: skip
        assert out.exit_code == 0, out.output
        table = {r["subgroup"]: r for r in json.loads(out.stdout)}
        assert {"weighted_mse", "weighted_delta_r2", "pds"} <= set(table["all"])
        run_ids[model] = out.stderr.split("run ")[1].split(":")[0]
        assert "files in" in out.stderr
        assert ("best round" in out.stderr) == (model in ("gears", "adapert"))
    assert "0 learned edges" in out.stderr  # graph_gp
    shown = cli("runs", "show", run_ids["gears"], "--history", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert '"best_round"' in shown.output and '"val_mse"' in shown.output
    adapert = run_ids["adapert"]
    runs = {r["id"] for r in json.loads(cli("runs", "list", "--format", "json").output)}
    assert runs == set(run_ids.values())
    assert writeback.show_run(graph, adapert)["model"] == "adapert"
    pid = ids.perturbation_id("sim", load_dataset("sim").pseudobulk().conditions[0])
    learned = writeback.learned_edges(graph, pid, adapert)
    assert learned and all(r["run"] == adapert and r["perturbation"] == pid for r in learned)
    assert cli("runs", "delete", adapert).exit_code == 0
    assert writeback.learned_edges(graph, pid) == []


def test_demo_generated_path(cli, graph, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = cli("demo", "--generated", "--steps", 6)
    assert out.exit_code == 0, out.output
    assert "GO: generated sample" in out.output
    assert "Perturb-seq demo_simulated (simulated on the GO graph)" in out.output
    assert "held-out doubles, mean per category" in out.output
    assert "learned edges written for" in out.output
    assert "which held-out perturbations does graph_gp predict to move" in out.output
    png = tmp_path / "out" / "demo_predicted_vs_observed.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    models = {r["model"] for r in writeback.list_runs(graph, "demo_simulated")}
    assert models == {"train_mean", "additive", "go_neighbour", "graph_gp", "adapert"}
