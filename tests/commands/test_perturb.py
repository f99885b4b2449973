import json

import pytest

from priorgraph.ingest.perturbseq import synthetic_perturbseq


def test_toy_chain_through_the_cli(cli, graph, tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=3, extra={"G5+ctrl": 3}).write_h5ad(path)
    out = cli("ingest", "perturbseq", path, "--dataset", "toy")
    assert out.exit_code == 0, out.output
    assert "dropped, too few cells: G5+ctrl (3)" in out.output
    out = cli("split", "create", "toy", "d1", "--kind", "double", "--seed", "0")
    assert out.exit_code == 0, out.output
    assert "COEXPRESSED:" in out.output
    assert json.loads(cli("split", "list", "toy", "--format", "json").output)[0]["name"] == "d1"
    out = cli("baseline", "toy", "d1", "--model", "additive", "--format", "json")
    assert out.exit_code == 0, out.output
    table = json.loads(out.stdout)
    assert table[-1]["subgroup"] == "all"
    run_id = out.stderr.split("run ")[1].split(":")[0]
    runs = json.loads(cli("runs", "list", "--format", "json").output)
    assert [r["id"] for r in runs] == [run_id]
    shown = cli("runs", "show", run_id, "--format", "json")
    assert shown.exit_code == 0 and '"model"' in shown.output
    out = cli("effects", "--gene", "G6", "--run", run_id, "--format", "json")
    assert out.exit_code == 0 and json.loads(out.output)[0]["run"] == run_id
    bad = cli("effects", "--gene", "G6", "--perturbation", "G0+ctrl")
    assert bad.exit_code == 2 and "exactly one of" in bad.output
    every = cli("effects", "--gene", "G6", "--run", run_id, "--all", "--format", "json")
    assert every.exit_code == 0, every.output
    values = json.loads(every.output)
    assert {r["run"] for r in values} == {run_id} and len(values) >= 2
    assert [abs(r["predicted"]) for r in values] == sorted(
        (abs(r["predicted"]) for r in values), reverse=True
    )
    bad = cli("effects", "--perturbation", "G0+ctrl", "--all")
    assert bad.exit_code == 2 and "--all goes with --gene" in bad.output
    few = cli("baseline", "toy", "d1", "--model", "no_change", "--top-per-perturbation", "1",
              "--top-per-gene", "0", "--threshold", "100", "--format", "json")  # fmt: skip
    assert few.exit_code == 0, few.output
    few_id = few.stderr.split("run ")[1].split(":")[0]
    kept = graph.read("MATCH (r:ModelRun {id: $id}) RETURN r.n_effects AS n, r.n_conditions AS c",
                      {"id": few_id})[0]  # fmt: skip
    assert kept["n"] == kept["c"] >= 2  # one kept effect per perturbation
    gone = cli("runs", "delete", run_id)
    assert gone.exit_code == 0 and "predicted effects" in gone.output
    missing = cli("baseline", "toy", "nope")
    assert missing.exit_code == 1 and "nope.json: no such split" in missing.output


@pytest.mark.slow
def test_real_papalexi_chain(cli, graph, shared_data, monkeypatch, tmp_path):
    """ingest → split → four baselines → metrics → write-back → effects query, on real data."""
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    # MARCH8, a target, resolves to MARCHF8 through the previous-symbol table: no flag needed
    out = cli("ingest", "perturbseq", "perturb.papalexi2021", "--dataset", "papalexi2021")
    assert out.exit_code == 0, out.output
    assert "20729 cells x 299 genes (raw_counts); 2386 control cells, 25 conditions" in out.output
    assert "16 targets are not measured genes" in out.output
    out = cli("split", "create", "papalexi2021", "sim1", "--seed", "1")
    assert out.exit_code == 0, out.output
    assert "unseen_single  7" in out.output
    summaries = {}
    for model in ("no_change", "train_mean", "additive", "linear"):
        out = cli("baseline", "papalexi2021", "sim1", "--model", model, "--format", "json")
        assert out.exit_code == 0, out.output
        summaries[model] = {r["subgroup"]: r for r in json.loads(out.stdout)}["all"]
        assert out.stderr.strip().endswith(f"{7 * 299} predicted effects written")
    assert summaries["no_change"]["pearson_delta"] == 0
    assert summaries["no_change"]["mse_top20_de_non_dropout_norm"] == 1
    assert summaries["train_mean"]["mean_collapse"] == 1
    assert summaries["train_mean"]["pearson_delta"] > 0.2
    runs = json.loads(cli("runs", "list", "--format", "json").output)
    assert len(runs) == 4
    linear = next(r["id"] for r in runs if r["model"] == "linear")
    out = cli("effects", "--gene", "STAT1", "--run", linear, "--top", "5", "--format", "json")
    rows = json.loads(out.output)
    assert len(rows) == 5 and all(r["run"] == linear for r in rows)
    plot = tmp_path / "jak2.png"
    out = cli("effects", "--perturbation", "JAK2+ctrl", "--run", linear,
              "--dataset", "papalexi2021", "--plot", plot, "--format", "json")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert json.loads(out.stdout)[0]["gene"] and "plot written" in out.stderr
