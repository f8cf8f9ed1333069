# Finds every dependency through pkg-config (or headers where the package ships
# no .pc file) and stops with the Debian package that provides it, so a fresh
# machine says what to install instead of failing at link time.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

function(tsr_require target module debian_package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR
      "missing dependency '${module}': apt-get install ${debian_package}")
  endif()
  message(STATUS "found ${module} ${${target}_VERSION}")
endfunction()

tsr_require(SQLITE3 sqlite3 libsqlite3-dev)
tsr_require(NATS libnats libnats-dev)
tsr_require(SODIUM libsodium libsodium-dev)
tsr_require(JANSSON jansson libjansson-dev)
tsr_require(CHECK check check)
tsr_require(MHD libmicrohttpd libmicrohttpd-dev)
tsr_require(QRENCODE libqrencode libqrencode-dev)

# libcoap with a DTLS backend: mbedTLS where a build exists, else OpenSSL
# (measured faster than GnuTLS, see DESIGN.md), else GnuTLS.
foreach(flavour mbedtls openssl gnutls)
  pkg_check_modules(COAP QUIET IMPORTED_TARGET GLOBAL libcoap-3-${flavour})
  if(COAP_FOUND)
    set(TSR_COAP_FLAVOUR ${flavour})
    break()
  endif()
endforeach()
if(NOT COAP_FOUND)
  message(FATAL_ERROR
    "missing dependency 'libcoap-3 with DTLS': apt-get install libcoap3-dev")
endif()
message(STATUS "found libcoap-3-${TSR_COAP_FLAVOUR} ${COAP_VERSION}")

# mbedTLS 2.28 ships no pkg-config file: look for its headers and libraries.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/hmac_drbg.h)
find_library(MBEDCRYPTO_LIB mbedcrypto)
find_library(MBEDX509_LIB mbedx509)
find_library(MBEDTLS_LIB mbedtls)
if(NOT MBEDTLS_INCLUDE_DIR OR NOT MBEDCRYPTO_LIB OR NOT MBEDX509_LIB)
  message(FATAL_ERROR "missing dependency 'mbedtls': apt-get install libmbedtls-dev")
endif()
add_library(tsr_mbedtls INTERFACE)
target_include_directories(tsr_mbedtls INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(tsr_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

find_package(Threads REQUIRED)
find_program(NATS_SERVER nats-server)
if(NOT NATS_SERVER)
  message(WARNING "nats-server not found (apt-get install nats-server): streaming tests will fail")
endif()

# One folder = one module: <module>/src/*.c builds libtessera-<module>,
# each <module>/cmd/<program>.c builds build/bin/<program> linked against it.
# New files are picked up on the next configure, so parallel work on
# different modules never edits a shared list.
function(tsr_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.c)
  if(srcs)
    add_library(tessera-${name} STATIC ${srcs})
    target_include_directories(tessera-${name}
      PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
      PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(tessera-${name} PUBLIC ${M_DEPS})
  else()
    # A module with no sources yet still exposes its headers and deps.
    add_library(tessera-${name} INTERFACE)
    target_include_directories(tessera-${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(tessera-${name} INTERFACE ${M_DEPS})
  endif()
  file(GLOB cmds CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cmd/*.c)
  foreach(cmd ${cmds})
    get_filename_component(prog ${cmd} NAME_WE)
    # A program named like its module's library (geo/cmd/tessera-geo.c next
    # to libtessera-geo) gets target <prog>-cli; the file is still bin/<prog>.
    set(target ${prog})
    if(TARGET ${prog})
      set(target ${prog}-cli)
    endif()
    add_executable(${target} ${cmd})
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${prog})
    target_link_libraries(${target} PRIVATE tessera-${name})
  endforeach()
endfunction()

# tests/<module>/test_*.c: one Check suite per concern, each its own CTest
# test so a failure names its concern.
function(tsr_test_dir module)
  cmake_parse_arguments(T "" "TIMEOUT" "DEPS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/test_*.c)
  foreach(t ${tests})
    get_filename_component(base ${t} NAME_WE)
    set(exe ${module}_${base})
    add_executable(${exe} ${t})
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    target_link_libraries(${exe} PRIVATE tsr-testsupport ${T_DEPS} PkgConfig::CHECK)
    add_test(NAME ${exe} COMMAND ${exe})
    set_tests_properties(${exe} PROPERTIES TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT "CK_FORK=yes;TSR_BIN_DIR=${CMAKE_BINARY_DIR}/bin;TSR_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endforeach()
endfunction()

# The daemons' allocator: tcmalloc (gperftools). The node's threads allocate
# and free across each other (a job is made on the CoAP thread, filled on the
# writer, freed back on the CoAP thread); glibc's malloc spent ~13 % of the
# node's CPU there, and tcmalloc gave ~20 % more bets/s in bench-node.
# Sanitizer builds keep the sanitizer's own allocator.
if(NOT TSR_SANITIZE)
  tsr_require(TCMALLOC libtcmalloc_minimal libgoogle-perftools-dev)
endif()

function(tsr_fast_malloc target)
  if(TARGET PkgConfig::TCMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::TCMALLOC)
  endif()
endfunction()
