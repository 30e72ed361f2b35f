# Two commands do all the set-up on a fresh machine:  `make lab`  and  `make test`.
# Both create the virtual environment in .venv the first time only (a stamp file remembers it).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_ARGS ?=

# Reproducible outputs: fixed hash seed and thread count (float sums depend on the split).
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS := 2
export MKL_NUM_THREADS := 2

# JupyterLab refuses to start as root (as in containers and CI) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help env data lab lab-zh check test outputs index translations export bench bench-grade student grade html pdf clean
help:
	@echo "make lab      set up (first time only), find the data, open JupyterLab on notebooks/ (the Chinese edition is in zh/)"
	@echo "make lab-zh   the same with JupyterLab's menus in Chinese, opened on notebooks/zh/ (installs the language pack the first time)"
	@echo "make check    will the course run here? versions, device, data, threads, a timed epoch: READY or what to fix"
	@echo "make test     set up (first time only), run the helper tests and nbval on every notebook,"
	@echo "             then nbval again under another float-rounding set-up (other CPUs' kernels)"
	@echo "make outputs  re-execute every notebook and store its outputs (reproducibly)"
	@echo "make index    regenerate the README's notebook table and every notebook's navigation links"
	@echo "make translations  update the Chinese catalogues (translations/zh/*.po) from the notebooks and regenerate notebooks/zh/"
	@echo "make export   regenerate helpers/batches.py and helpers/training.py from the cells of notebooks 00 and 04 marked '#| export'"
	@echo "make bench    time the d2l reference training path against the course's"
	@echo "make bench-grade  grade 40 synthetic submissions of notebook 06 with 1 job, then all cores: submissions per minute"
	@echo "make student  generate the student edition (solutions removed), a handout, in build/student and build/student.zip"
	@echo "make grade SUBMISSIONS=<folder>  autograde students' notebooks with nbgrader, each in a sandbox: build/grades.csv,"
	@echo "             feedback in build/feedback/ (GRADE_ARGS=\"--jobs 4 --timeout 30\")"
	@echo "make html     render the executed notebooks as a static site in build/html, with a status page"
	@echo "make pdf      print the whole course to build/course.pdf, A4 (PDF_ARGS=\"--paper letter\"); headless Chromium, poppler-utils"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

env: $(STAMP)

data: $(STAMP)
	$(BIN)/python -m helpers

lab: data
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# JupyterLab's Chinese interface is optional, installed only here: make lab never installs it. Its
# settings folder holds just the interface language, so make lab keeps its own (English) settings.
LAB_ZH_SETTINGS := $(VENV)/lab-zh-settings
LAB_ZH_STAMP := $(VENV)/.lab-zh-installed
$(LAB_ZH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet "jupyterlab-language-pack-zh-cn>=4.0"
	mkdir -p $(LAB_ZH_SETTINGS)/@jupyterlab/translation-extension
	echo '{"locale": "zh_CN"}' > $(LAB_ZH_SETTINGS)/@jupyterlab/translation-extension/plugin.jupyterlab-settings
	touch $@

lab-zh: data $(LAB_ZH_STAMP)
	JUPYTERLAB_SETTINGS_DIR=$(LAB_ZH_SETTINGS) $(BIN)/jupyter lab --notebook-dir=notebooks \
	  --LabApp.default_url=/lab/tree/zh $(ROOT_FLAG) $(LAB_ARGS)

# nbgrader is for teachers who make the student edition and grade (make student, make grade) and
# for the tests of that path; a learner's environment (make lab) does without it.
GRADE_STAMP := $(VENV)/.grade-installed
$(GRADE_STAMP): $(STAMP) requirements-grade.txt
	$(BIN)/python -m pip install --quiet -r requirements-grade.txt
	touch $@

check: $(STAMP)
	$(BIN)/python -m tools.check

# pytest, then nbval once more under settings that make this machine round the way other CPUs do
# (tools/status.py, MAKE_TEST_SETUPS, says which).
test: $(STAMP) $(GRADE_STAMP)
	$(BIN)/python -m tools.run_tests

outputs: $(STAMP)
	$(BIN)/python -m tools.run_notebooks

index: $(STAMP)
	$(BIN)/python -m tools.make_index

translations: $(STAMP)
	$(BIN)/python -m tools.translate

export: $(STAMP)
	$(BIN)/python -m tools.export_lessons

# The benchmark compares against the d2l package itself. d2l pins ancient numpy/pandas/scipy
# exactly and would break this environment, so it goes in with --no-deps, beside the few
# packages its torch module imports that the course does not otherwise need.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python -m pip install --quiet --no-deps "d2l==1.0.3"
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

bench-grade: $(GRADE_STAMP)
	$(BIN)/python -m tools.bench --grading $(BENCH_ARGS)

student: $(GRADE_STAMP)
	$(BIN)/python -m tools.make_student

SUBMISSIONS ?=
grade: $(GRADE_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "make grade SUBMISSIONS=<folder>: a folder with one sub-folder per student, each holding that student's filled-in notebook(s), e.g. alice/06_exercises.ipynb" >&2; exit 2; }
	$(BIN)/python -m tools.grade "$(SUBMISSIONS)" $(GRADE_ARGS)

html: $(STAMP)
	$(BIN)/python -m tools.make_html $(HTML_ARGS)

pdf: $(STAMP)
	$(BIN)/python -m tools.make_pdf $(PDF_ARGS)

clean:
	rm -rf build
