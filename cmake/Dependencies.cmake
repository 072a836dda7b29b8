# Third-party libraries. System ones come from Debian packages installed by
# scripts/setup.sh; ONNX Runtime comes from the project-local prefix .deps/.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
