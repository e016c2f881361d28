"""prose: the numbers the markdown quotes are looked for in the outputs, with the course's rules."""

import nbformat

from course_utils import prose


def _nb(markdown, *outputs):
    cells = [nbformat.v4.new_markdown_cell(markdown)]
    for text in outputs:
        cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", text=text)]))
    return nbformat.from_dict(nbformat.v4.new_notebook(cells=cells))


def test_a_quoted_number_printed_by_a_cell_passes_and_one_printed_by_none_is_listed():
    nb = _nb("The tuned CNN reached 0.931 against 0.922, and the linear model 0.87.",
             "best val accuracy 0.93112\n", "naive 0.9219 | linear 0.8712\n")
    assert prose.unprinted(nb, "demo") == []
    nb = _nb("It reached 0.935 (in a run outside the notebook 0.930).", "best 0.93112\n")
    lines = prose.unprinted(nb, "demo")
    assert len(lines) == 2 and lines[0].startswith("demo: 0.935 in cell 1: ...") and "0.930" in lines[1]
    assert prose.unprinted(nb, "demo", allow={"0.935", "0.930"}) == []


def test_formulas_code_timings_and_ranges_are_left_out():
    nb = _nb("A rate of `learning_rate=0.01`, $\\sqrt{0.9 \\cdot 0.1 / 5000} \\approx 0.004$, "
             "4.7 minutes and 2.5 GB, 1.3 to 1.7 minutes, version 3.11.7.", "nothing\n")
    assert prose.quoted_numbers(nb) == []


def test_numbers_match_as_the_prose_rounds_them():
    printed = ["0.93112", "2.294", "5.4e+09", "-0.068"]
    assert prose.shows(printed, "0.931") and prose.shows(printed, "0.93") and prose.shows(printed, "2.29")
    assert not prose.shows(printed, "0.932") and not prose.shows(printed, "2.30")
    assert prose.shows(printed, "5e9") and prose.shows(printed, "0.068")


def test_the_allow_list_is_read_per_notebook(tmp_path):
    path = tmp_path / "allowed.txt"
    path.write_text("# a comment\n01_demo: 0.01 0.5  # settings\n02_other: 0.3\n")
    assert prose.allowed("01_demo", path) == {"0.01", "0.5"} and prose.allowed("03_none", path) == set()
