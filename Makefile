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

# The stored outputs must hold on every machine, not only on the one that wrote them. Other CPUs
# round differently because MKL and ATen pick other kernels there (AVX2 or AVX-512, ARM, CUDA) and
# split sums over other thread counts. These settings make this machine round the way they do, and
# `make test` re-runs nbval on every notebook under each of them, against the same stored outputs.
PERTURBED_NUMERICS := "ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE" \
                      "ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 COURSE_THREADS=2"

# JupyterLab refuses to start as root (as in containers and CI) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help env data lab check test outputs index export bench bench-grade student grade html pdf clean
help:
	@echo "make lab      set up (first time only), find the data, open JupyterLab on notebooks/"
	@echo "make check    will the course run here? versions, device, data, threads, a timed epoch: READY or what to fix"
	@echo "make test     set up (first time only), run the helper tests and nbval on every notebook,"
	@echo "             then nbval again under two other float-rounding set-ups (other CPUs' kernels)"
	@echo "make outputs  re-execute every notebook and store its outputs (reproducibly)"
	@echo "make index    regenerate the README's notebook table and every notebook's navigation links"
	@echo "make export   regenerate helpers/batches.py and helpers/training.py from the cells of notebooks 00 and 04 marked '#| export'"
	@echo "make bench    time the d2l reference training path against the course's"
	@echo "make bench-grade  grade 40 synthetic submissions of notebook 06 with 1 job, then all cores: submissions per minute"
	@echo "make student  generate the student edition (solutions removed), a handout, in build/student and build/student.zip"
	@echo "make grade SUBMISSIONS=<folder>  autograde students' notebooks with nbgrader, each in a sandbox: build/grades.csv,"
	@echo "             feedback in build/feedback/ (GRADE_ARGS=\"--jobs 4 --timeout 30\")"
	@echo "make html     render the executed notebooks as a static site in build/html, with a status page"
	@echo "make pdf      print the whole course to build/course.pdf (headless Chromium, poppler-utils)"

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

# nbgrader is for teachers who make the student edition and grade (make student, make grade) and
# for the tests of that path; a learner's environment (make lab) does without it.
GRADE_STAMP := $(VENV)/.grade-installed
$(GRADE_STAMP): $(STAMP) requirements-grade.txt
	$(BIN)/python -m pip install --quiet -r requirements-grade.txt
	touch $@

check: $(STAMP)
	$(BIN)/python -m tools.check

test: $(STAMP) $(GRADE_STAMP)
	$(BIN)/python -m pytest
	@# The perturbed runs go side by side, one per core; each one's output follows when both are done.
	@mkdir -p build/nbval; k=0; for numerics in $(PERTURBED_NUMERICS); do k=$$((k + 1)); \
	  ( env $$numerics $(BIN)/python -m pytest notebooks -q > build/nbval/$$k.log 2>&1; echo $$? > build/nbval/$$k.rc ) & \
	done; wait; k=0; failed=0; for numerics in $(PERTURBED_NUMERICS); do k=$$((k + 1)); \
	  echo "== nbval on every notebook again, with $$numerics"; cat build/nbval/$$k.log; \
	  [ "$$(cat build/nbval/$$k.rc)" = 0 ] || failed=1; \
	done; exit $$failed

outputs: $(STAMP)
	$(BIN)/python -m tools.run_notebooks

index: $(STAMP)
	$(BIN)/python -m tools.make_index

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
	$(BIN)/python -m tools.bench_grade $(BENCH_GRADE_ARGS)

student: $(GRADE_STAMP)
	$(BIN)/python -m tools.make_student

SUBMISSIONS ?=
grade: $(GRADE_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "make grade SUBMISSIONS=<folder>: a folder with one sub-folder per student, each holding that student's filled-in notebook(s), e.g. alice/06_exercises.ipynb" >&2; exit 2; }
	$(BIN)/python -m tools.grade "$(SUBMISSIONS)" $(GRADE_ARGS)

html: $(STAMP)
	$(BIN)/python -m tools.make_html $(HTML_ARGS)

pdf: $(STAMP)
	$(BIN)/python -m tools.make_pdf

clean:
	rm -rf build
