# The two set-up commands of README.md, plus maintainer targets. Each installs missing
# Debian packages, configures and builds, then runs.
#   make demo        simulate -> train -> decode -> HDF5 -> report on 2 MPI ranks
#   make test        the whole test suite through ctest
#   make test-asan   the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz        libFuzzer targets for FUZZ_SECONDS each (default 60)
#   make bench       benchmarks (JSON lines on stdout)
#   make package     the Debian package $(BUILD)-package/qecpipe_VERSION_amd64.deb (portable:
#                    no -march=native; installs under /usr)
#   make test-package  that package installed into a fresh Debian 12 root, then run there
BUILD ?= build
JOBS ?= 2
FUZZ_SECONDS ?= 60
export OMPI_ALLOW_RUN_AS_ROOT = 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM = 1
export OMPI_MCA_btl = ^openib,ofi
export OMPI_MCA_pml = ^ucx
export OMPI_MCA_osc = ^ucx

.PHONY: deps build demo test test-asan fuzz bench package test-package clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Release -DQECPIPE_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j$(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j$(JOBS)

fuzz:
	@QECPIPE_FUZZ=1 scripts/install-deps.sh
	@CC=clang cmake -S . -B $(BUILD)-fuzz -DQECPIPE_FUZZ=ON >/dev/null
	@scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: build
	@scripts/bench.sh $(BUILD)

package: deps
	@cmake -S . -B $(BUILD)-package -DCMAKE_BUILD_TYPE=Release -DQECPIPE_NATIVE=OFF >/dev/null
	@cmake --build $(BUILD)-package -j$(JOBS) --target qecpipe man_pages
	@cd $(BUILD)-package && cpack -G DEB | grep -F .deb

test-package: package
	@packaging/test_deb.sh $(BUILD)-package/qecpipe_*_amd64.deb

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-package
