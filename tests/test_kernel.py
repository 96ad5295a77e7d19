"""A reused kernel (``mlbook.kernel.SectionKernel``) runs a section exactly as a new one does."""

from __future__ import annotations

import pytest

from mlbook import book
from mlbook.kernel import SECTIONS_PER_KERNEL, SectionKernel

HEADER = ("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
          "    format_version: 0.13\nkernelspec:\n  display_name: Python 3\n  language: python\n"
          "  name: python3\n---\n# A section\n\n")


def cells(*sources: str) -> str:
    return HEADER + "".join(f"```{{code-cell}} ipython3\n{s}\n```\n\n" for s in sources)


#: Changes everything a section can change and a new kernel would not have.
POLLUTER = cells(
    "import os, warnings\nimport numpy as np\nimport matplotlib, matplotlib.pyplot as plt\n"
    "import mlbook as mb\nfrom mlbook import book, config",
    "secret = 42\nmb.seed(7)\nmb.normal(0, 1, (5,))",
    "matplotlib.rcParams['lines.linewidth'] = 9\nplt.figure()",
    "np.mean(np.array([]))                        # a warning numpy shows once",
    "warnings.simplefilter('ignore')\nmb.train_mode().__enter__()\n"
    "mb.set_backend('numpy' if config.backend_from_env() != 'numpy' else 'torch')\n"
    "os.chdir('/')\nbook.report('polluted', 1)")

#: Prints and reports what the polluter changes.
PROBE = cells(
    "print(sorted(name for name in dir() if not name.startswith('_')))",
    "import os\nimport numpy as np\nimport matplotlib.pyplot as plt\nimport mlbook as mb\n"
    "from mlbook import backends, book, config\nfrom IPython import get_ipython",
    "book.report('draw', mb.sum(mb.normal(0, 1, (5,))))\n"
    "book.report('open figures', len(plt.get_fignums()))\n"
    "book.report('training', int(config.is_training()))\n"
    "book.report('backend', backends.name() == config.backend_from_env())\n"
    "book.report('in its folder', os.path.exists('probe.md'))\n"
    "book.report('execution count', get_ipython().execution_count)",
    "np.mean(np.array([]))",
    "plt.plot([0, 1, 2], [1, 0, 2])\nplt.show()")


def outputs(result: book.SectionResult) -> list:
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs]
            for c in result.notebook.cells if c.cell_type == "code"]


def test_a_reused_kernel_runs_a_section_as_a_new_kernel_does(tmp_path, backend):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    polluter, probe = tmp_path / "a" / "polluter.md", tmp_path / "b" / "probe.md"
    polluter.write_text(POLLUTER)
    probe.write_text(PROBE)
    fresh = book.run_section(probe, backend)
    with SectionKernel(backend) as kernel:
        assert kernel.run(polluter).values == {"polluted": 1}
        reused = kernel.run(probe)
        assert kernel.sections == 2 and kernel.reusable
    assert fresh.values == reused.values
    assert fresh.values["in its folder"] == 1 and fresh.values["open figures"] == 0
    assert fresh.values["training"] == 0
    assert outputs(fresh) == outputs(reused)          # names, the warning, the figure's bytes
    assert "RuntimeWarning" in str(outputs(reused)[3])
    assert "image/svg+xml" in outputs(reused)[4][0]["data"]


def test_a_kernel_whose_section_failed_is_not_reused(tmp_path):
    failing, fine = tmp_path / "failing.md", tmp_path / "fine.md"
    failing.write_text(cells("x = 1", "1 / 0"))
    fine.write_text(cells("from mlbook import book\nbook.report('x defined', 'x' in dir())"))
    with SectionKernel("numpy") as kernel:
        with pytest.raises(book.SectionError, match="code cell 2"):
            kernel.run(failing)
        assert kernel.broken and not kernel.reusable
        with pytest.raises(RuntimeError, match="start a new one"):
            kernel.run(fine)
    with SectionKernel("numpy") as kernel:
        for _ in range(SECTIONS_PER_KERNEL):
            assert kernel.run(fine).values == {"x defined": 0}
        assert not kernel.reusable                        # due for replacement


def test_a_missing_section_is_a_clear_error(tmp_path):
    with SectionKernel("numpy") as kernel, pytest.raises(FileNotFoundError, match="no section"):
        kernel.run(tmp_path / "nowhere.md")
