# braid_add_program(NAME SOURCE): builds the source `braid-compile
# --emit-sources` wrote (program.cu for CUDA, program.cpp for the CPU) into
#   lib${NAME}.so  - the artifact braid-run or a framework loads, and
#   ${NAME}-check  - braid-check linked with it: runs the program on this
#                    process (one rank without a launcher; NCCL for CUDA
#                    programs) and compares with the interpreter's outputs.
# Against Braid's runtime: its sources (this directory's parent, built as a
# subproject with only CMake, CUDA and NCCL; MPI when found), or, with
# BRAID_RUNTIME_BUILD_DIR, a runtime already built there (CI: no second
# build of the kernels).
get_filename_component(braid_rt_source_dir "${CMAKE_CURRENT_LIST_DIR}/.."
  ABSOLUTE)
set(BRAID_RUNTIME_BUILD_DIR "" CACHE PATH
  "A built runtime tree to link instead of building runtime/ here")

if(BRAID_RUNTIME_BUILD_DIR)
  if(NOT EXISTS ${BRAID_RUNTIME_BUILD_DIR}/braid-runtime-link.cmake)
    message(FATAL_ERROR "${BRAID_RUNTIME_BUILD_DIR} has no "
      "braid-runtime-link.cmake (a runtime built with CUDA writes it)")
  endif()
  include(${BRAID_RUNTIME_BUILD_DIR}/braid-runtime-link.cmake)
  set(braid_program_runtime braid_runtime_prebuilt)
  set(braid_program_runtime_whole braid_runtime_prebuilt)
else()
  if(NOT TARGET braid_program)
    add_subdirectory(${braid_rt_source_dir}
      ${CMAKE_BINARY_DIR}/braid_runtime EXCLUDE_FROM_ALL)
  endif()
  set(braid_program_runtime braid_program braid_rt_kernels)
  # The shared library exports the C entry points of braid_program.h.
  set(braid_program_runtime_whole "-Wl,--whole-archive" braid_program
    "-Wl,--no-whole-archive" braid_rt_kernels)
endif()

function(braid_add_program name source)
  get_filename_component(extension ${source} LAST_EXT)
  set(check_sources
    ${braid_rt_source_dir}/tools/braid-check/BraidCheck.cpp
    ${braid_rt_source_dir}/support/Npy.cpp)
  add_library(${name} SHARED ${source})
  add_executable(${name}-check ${source} ${check_sources})
  target_include_directories(${name}-check PRIVATE
    ${braid_rt_source_dir}/support)
  target_link_libraries(${name} PRIVATE ${braid_program_runtime_whole})
  target_link_libraries(${name}-check PRIVATE ${braid_program_runtime})
  foreach(target ${name} ${name}-check)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    # Products and sums round on their own, as in the interpreter.
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CUDA>:--fmad=false>
      $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>)
  endforeach()
  if(extension STREQUAL ".cu")
    target_link_libraries(${name} PRIVATE CUDA::cudart CUDA::cublasLt)
    target_link_libraries(${name}-check PRIVATE CUDA::cudart CUDA::cublasLt)
  endif()
endfunction()

if(CMAKE_CUDA_COMPILER)
  find_package(CUDAToolkit REQUIRED)
endif()
