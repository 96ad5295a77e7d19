"""A kernel forked from a fork server (``mlbook.forkserver``) gives what a kernel started for
the section alone gives: the same outputs, byte for byte, and the same reported numbers.

``test_forked_kernels_give_a_new_kernels_outputs`` runs a section of every chapter both ways on
every selected backend (the sections are short ones that exercise what could differ: imports
of every framework, convolutions, random draws, figures, warnings, training).
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from mlbook import book, execution, forkserver
from mlbook.kernel import SectionKernel, output_differences, reads_clock

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: One section of every chapter, short ones that exercise what could differ: the import of
#: every framework into one kernel (installation, read_write), a chaotic computation
#: (numerical_stability), convolutions and batch normalization trained (conv_layer,
#: batch_norm), random draws (sgd), recurrent and attention layers, figures and warnings.
SAME_SECTIONS = [
    "ch01_introduction/installation",
    "ch02_preliminaries/autograd",
    "ch03_linear_networks/softmax_regression",
    "ch04_multilayer_perceptrons/numerical_stability",
    "ch05_builders_guide/read_write",
    "ch06_convolutional_neural_networks/conv_layer",
    "ch07_modern_cnns/batch_norm",
    "ch08_recurrent_neural_networks/rnn",
    "ch09_modern_rnns/encoder_decoder",
    "ch10_computer_vision/bounding_box",
    "ch11_optimization/sgd",
    "ch12_attention/multihead_attention",
    "ch13_detection_segmentation/transposed_conv",
    "ch14_nlp_pretraining/word2vec",
]

HEADER = ("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
          "    format_version: 0.13\nkernelspec:\n  display_name: Python 3\n  language: python\n"
          "  name: python3\n---\n# A section\n\n")


def cells(*sources: str) -> str:
    return HEADER + "".join(f"```{{code-cell}} ipython3\n{s}\n```\n\n" for s in sources)


def test_the_chosen_sections_cover_every_chapter():
    chapters = {p.parent.name for p in book.sections()}
    assert {s.split("/")[0] for s in SAME_SECTIONS} == chapters
    assert all((ROOT / "chapters" / f"{s}.md").exists() for s in SAME_SECTIONS)


@pytest.mark.skipif(not forkserver.available(), reason="forked kernels are off here")
@pytest.mark.book_sections(*[ROOT / "chapters" / f"{s}.md" for s in SAME_SECTIONS])
@pytest.mark.parametrize("section", SAME_SECTIONS, ids=[s.split("/")[1] for s in SAME_SECTIONS])
def test_forked_kernels_give_a_new_kernels_outputs(book_runs, all_backends, section):
    """The book's runs of the section (forked, as every build runs them) against kernels
    started for it alone."""
    path = ROOT / "chapters" / f"{section}.md"
    rel = f"{section}.md"

    def compare(backend: str) -> list[str]:
        if (rel, backend) in book_runs.failures:
            return [f"{backend}: the book's run failed: {book_runs.failures[rel, backend]}"]
        forked = book_runs.runs[rel, backend]
        new = book.run_section(path, backend, fork=False)
        problems = output_differences(forked.notebook, new.notebook)
        if forked.values != new.values:
            problems.append(f"reported numbers: forked {forked.values}, new {new.values}")
        return [f"{backend}: {p}" for p in problems]

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        problems = [p for found in pool.map(compare, all_backends) for p in found]
    assert not problems, "\n".join(problems)


# ---- the comparison itself -----------------------------------------------------------------

def _notebook(*outputs_per_cell, sources=None):
    import nbformat
    nb = nbformat.v4.new_notebook()
    for i, outputs in enumerate(outputs_per_cell):
        cell = nbformat.v4.new_code_cell((sources or {}).get(i, f"cell {i}"))
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.cells.append(cell)
    return nb


def _stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_output_differences_finds_a_changed_digit_and_joins_streams():
    a = _notebook([_stream("loss 0.25\n"), _stream("done\n")], [_stream("x")])
    same = _notebook([_stream("loss 0.25\ndone\n")], [_stream("x")])
    other = _notebook([_stream("loss 0.26\ndone\n")], [_stream("x")])
    assert output_differences(a, same) == []
    assert output_differences(a, other) == ["code cell 1: output 1 differs (1 and 1 outputs)"]
    err = _notebook([_stream("loss 0.25\ndone\n"), _stream("warning\n", "stderr")], [_stream("x")])
    assert output_differences(a, err) == ["code cell 1: output 2 differs (1 and 2 outputs)"]
    assert output_differences(a, _notebook([], [])) != []


def test_output_differences_compares_cells_that_read_the_clock_by_kind():
    source = {0: "timer = train.Timer()\nprint(f'{timer.stop():.3f} sec')"}
    assert reads_clock(source[0]) and not reads_clock("print(1)")
    a = _notebook([_stream("0.012 sec\n")], sources=source)
    b = _notebook([_stream("0.013 sec\n")], sources=source)
    assert output_differences(a, b) == []
    c = _notebook([_stream("0.013 sec\n", "stderr")], sources=source)
    assert output_differences(a, c) != []


# ---- the server ----------------------------------------------------------------------------

def _kernel_env(backend="numpy"):
    return dict(os.environ, **execution.environment(execution.BOOK_THREADS),
                MLBOOK_BACKEND=backend)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_kernel_is_a_new_process_with_the_kernels_state(tmp_path):
    (tmp_path / "here").mkdir()
    section = tmp_path / "here" / "probe.md"
    section.write_text(cells(
        "import os, sys, random\nimport numpy as np\nfrom mlbook import book\nimport mlbook as mb\n"
        "from ipykernel.kernelapp import IPKernelApp",
        "book.report('own session', os.getsid(0) == os.getpid())\n"
        "book.report('in its folder', os.getcwd().endswith('here'))\n"
        "book.report('matplotlib inline', 'inline' in os.environ['MPLBACKEND'])\n"
        "book.report('watches its parent', IPKernelApp.instance().parent_handle == os.getppid()"
        " == int(os.environ['JPY_PARENT_PID']))\n"
        "book.report('threads pinned', os.environ['MLBOOK_THREADS'] == '1')\n"
        "book.report('seeded', float(mb.item(mb.normal(0, 1, ()))))\n"
        "book.report('numpy random', np.random.random())",
        "print('to stdout'); print('to stderr', file=sys.stderr)",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"))
    runs = [book.run_section(section, "numpy", fork=fork) for fork in (True, True, False)]
    for run in runs:
        assert run.values["own session"] == 1 and run.values["in its folder"] == 1
        assert run.values["matplotlib inline"] == 1 and run.values["threads pinned"] == 1
        assert run.values["watches its parent"] == 1
    assert runs[0].values["seeded"] == runs[2].values["seeded"]      # mlbook's seed 0
    # numpy's unseeded global generator is seeded anew in each kernel, as in a new process
    assert runs[0].values["numpy random"] != runs[1].values["numpy random"]
    outputs = [c.outputs for c in runs[0].notebook.cells if c.cell_type == "code"]
    assert [o["name"] for o in outputs[2]] == ["stdout", "stderr"]
    assert "image/svg+xml" in outputs[3][0]["data"]
    assert output_differences(runs[0].notebook, runs[2].notebook) == [
        "code cell 2: output 1 differs (1 and 1 outputs)"]      # only the unseeded draw


def test_a_server_that_does_not_answer_is_killed_and_replaced(monkeypatch):
    env = _kernel_env()
    server = forkserver.server_for("numpy", env)
    server._socket.settimeout(0.001)
    monkeypatch.setattr(server._reader, "readline", lambda: (_ for _ in ()).throw(TimeoutError()))
    with pytest.raises(RuntimeError, match="numpy fork server did not answer"):
        server.fork([sys.executable, "-m", "ipykernel_launcher", "-f", "x.json"], env, ".")
    assert not server.alive                     # killed: a late answer cannot be misread
    assert forkserver.server_for("numpy", env) is not server


def test_a_closed_server_exits_by_itself():
    """close() without kill ends the server through its socket (exit status 0); a socket
    still held open by its reader kept the server waiting until close() killed it."""
    env = dict(_kernel_env(), MLBOOK_CLOSE_TEST="1")         # a server of its own
    server = forkserver.server_for("numpy", env)
    assert server.alive
    server.close()
    assert server.process.returncode == 0


def test_a_server_refuses_a_kernel_of_another_environment():
    env = _kernel_env()
    server = forkserver.server_for("numpy", env)
    assert server.alive and forkserver.server_for("numpy", env) is server
    other = dict(env, MLBOOK_THREADS="2")
    with pytest.raises(ValueError, match=r"differs from its fork server's in \['MLBOOK_THREADS'\]"):
        server.fork([sys.executable, "-m", "ipykernel_launcher", "-f", "x.json"], other, ".")
    with pytest.raises(RuntimeError, match="not an ipykernel_launcher command line"):
        server.fork([sys.executable, "-c", "print(1)"], env, ".")
    # a per-run variable may differ
    assert "MLBOOK_REPORT" in forkserver.PER_RUN_VARIABLES


def test_a_server_that_cannot_import_its_backend_says_why():
    env = _kernel_env()
    with pytest.raises(RuntimeError, match="fork server could not start: .*no-such-backend"):
        forkserver.ForkServer("no-such-backend", env)


def test_a_dead_server_is_replaced():
    env = _kernel_env()
    server = forkserver.server_for("numpy", env)
    server.process.kill()
    server.process.wait()
    assert not server.alive
    again = forkserver.server_for("numpy", env)
    assert again is not server and again.alive


def test_forked_process_polls_and_kills_like_popen():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    process = forkserver.ForkedProcess(child.pid)
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    child.wait()                          # reaped, as the server reaps its kernels
    assert process.wait(5) == -1 and process.poll() == -1
    process.kill()                        # a kernel that is gone already: nothing happens


def test_fork_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(forkserver.FORK_ENV, "0")
    assert not forkserver.available() and not SectionKernel("numpy").fork
    monkeypatch.setenv(forkserver.FORK_ENV, "1")
    assert forkserver.available() == hasattr(os, "fork")
    assert SectionKernel("numpy", fork=False).fork is False
    # another thread count starts its kernels: MXNet limits a forked child to one thread
    assert SectionKernel("numpy", threads=2).fork is False
    with pytest.raises(ValueError, match="fork=True needs threads=1"):
        SectionKernel("numpy", threads=2, fork=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_kernel_that_cannot_be_forked_is_started(tmp_path, monkeypatch):
    section = tmp_path / "s.md"
    section.write_text(cells("import os\nfrom mlbook import book\n"
                             "book.report('pid', os.getpid())"))

    def broken(*args, **kwargs):
        raise RuntimeError("the numpy fork server did not answer")
    monkeypatch.setattr(forkserver, "server_for", broken)
    with pytest.warns(RuntimeWarning, match="did not answer; starting the kernel as a process"):
        result = book.run_section(section, "numpy", fork=True)
    assert result.values["pid"] > 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_kernel_has_the_variables_its_imports_set(tmp_path):
    """The TensorFlow backend sets TensorFlow's log level and oneDNN switch when it is imported
    (in the server): a forked kernel has them, as a started one does."""
    pytest.importorskip("tensorflow")
    section = tmp_path / "s.md"
    section.write_text(cells("import os\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), "
                             "os.environ.get('TF_ENABLE_ONEDNN_OPTS'))"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    import unittest.mock
    with unittest.mock.patch.dict(os.environ, env, clear=True):
        runs = [book.run_section(section, "tensorflow", fork=fork) for fork in (True, False)]
    printed = [[c for c in r.notebook.cells if c.cell_type == "code"][0].outputs[0]["text"]
               for r in runs]
    assert printed == ["2 0\n", "2 0\n"]


def test_the_forwarding_stream_never_closes_the_real_one(capfd):
    stream = forkserver._Forward("stdout")
    stream.close()                        # what absl's handler does on logging.shutdown()
    stream.write("still open\n")
    stream.flush()
    assert "still open" in capfd.readouterr().out


def test_object_addresses_are_not_compared():
    a = _notebook([{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                    "data": {"text/plain": "<ArrayBox at 0x7f1cdc5b6e80>"}}])
    b = _notebook([{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                    "data": {"text/plain": "<ArrayBox at 0x7f0024d6f980>"}}])
    c = _notebook([{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                    "data": {"text/plain": "<ArrayBox of 0x7f0024d6f980>"}}])
    assert output_differences(a, b) == [] and output_differences(b, c) != []
