# Warning and sanitizer settings, applied per target (never as global flags).

# fe_project_options(target): the project's warning set (from
# cpp-best-practices/cmake_template CompilerWarnings.cmake) and, when enabled,
# -Werror and the sanitizers.
function(fe_project_options target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wsuggest-override
    -Wcast-align -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # g++ 12 at -O3 warns falsely on "literal" + std::string (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(FHIR_ENGINE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  fe_sanitize(${target})
endfunction()

# fe_sanitize(target): ASan + UBSan for a target when FHIR_ENGINE_SANITIZE is on,
# TSan when FHIR_ENGINE_TSAN is on (third-party-facing targets such as tests use
# this without the warning set).
function(fe_sanitize target)
  if(FHIR_ENGINE_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  if(FHIR_ENGINE_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
