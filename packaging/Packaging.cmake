# Packaging: install rules per component and CPack's DEB generator (docs/deploy.md).
#
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCW_BUILD_TESTS=OFF \
#         -DCW_DATA_DIR=/usr/share/citywall
#   cmake --build build-deb -j && (cd build-deb && cpack -G DEB)
#
# gives citywall-hub, citywall-wall (when the wall is built), citywall-gateway, citywall-tools
# (sim, bench) and citywall-common (the map outline and the demo city, arch all). Library
# dependencies come from dpkg-shlibdeps; the runtime-loaded ones (GStreamer plugins, ODBC
# drivers, fonts) are listed here. Files under /etc are conffiles.
# A build whose CW_DATA_DIR is not /usr/share/citywall still packages, but its hub and wall
# look for their assets in the source tree: configure packaging builds as above.

set(CW_SHARE share/citywall) # under the packaging prefix /usr
set(CW_PKG_DIR ${CMAKE_BINARY_DIR}/packaging)
set(CW_DEB_VERSION ${PROJECT_VERSION})

# ---- install rules -------------------------------------------------------------------------
install(TARGETS citywall-hub RUNTIME DESTINATION bin COMPONENT hub)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/assets/web/ DESTINATION ${CW_SHARE}/assets/web
        COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/config/demo.yaml DESTINATION /etc/citywall RENAME hub.yaml
        COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/systemd/citywall-hub.service
        DESTINATION /lib/systemd/system COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/config.md
        ${CMAKE_SOURCE_DIR}/docs/alerts.md ${CMAKE_SOURCE_DIR}/docs/deploy.md
        DESTINATION share/doc/citywall-hub COMPONENT hub)

install(TARGETS citywall-gateway RUNTIME DESTINATION bin COMPONENT gateway)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/etc/gateway.yaml DESTINATION /etc/citywall
        COMPONENT gateway)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/systemd/citywall-gateway.service
        DESTINATION /lib/systemd/system COMPONENT gateway)
install(FILES ${CMAKE_SOURCE_DIR}/docs/gateway.md ${CMAKE_SOURCE_DIR}/docs/deploy.md
        DESTINATION share/doc/citywall-gateway COMPONENT gateway)

install(TARGETS citywall-sim citywall-bench RUNTIME DESTINATION bin COMPONENT tools)
install(FILES ${CMAKE_SOURCE_DIR}/docs/sim.md ${CMAKE_SOURCE_DIR}/docs/bench.md
        DESTINATION share/doc/citywall-tools COMPONENT tools)

install(DIRECTORY ${CMAKE_SOURCE_DIR}/assets/map/ DESTINATION ${CW_SHARE}/assets/map
        COMPONENT common)
install(FILES ${CMAKE_SOURCE_DIR}/config/demo.yaml DESTINATION ${CW_SHARE}/config
        COMPONENT common)

set(CW_DEB_COMPONENTS hub gateway tools common)
if(CW_HAVE_WALL)
  install(TARGETS citywall-wall RUNTIME DESTINATION bin COMPONENT wall)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/shaders/ DESTINATION ${CW_SHARE}/shaders COMPONENT wall)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/walls/ DESTINATION ${CW_SHARE}/config/walls
          COMPONENT wall)
  install(FILES ${CMAKE_SOURCE_DIR}/packaging/etc/wall.env DESTINATION /etc/citywall
          COMPONENT wall)
  install(FILES ${CMAKE_SOURCE_DIR}/packaging/systemd/citywall-wall.service
          DESTINATION lib/systemd/user COMPONENT wall)
  install(FILES ${CMAKE_SOURCE_DIR}/docs/wall.md ${CMAKE_SOURCE_DIR}/docs/deploy.md
          DESTINATION share/doc/citywall-wall COMPONENT wall)
  list(APPEND CW_DEB_COMPONENTS wall)
  file(MAKE_DIRECTORY ${CW_PKG_DIR}/wall)
  file(WRITE ${CW_PKG_DIR}/wall/conffiles "/etc/citywall/wall.env\n")
  set(CPACK_DEBIAN_WALL_PACKAGE_CONTROL_EXTRA ${CW_PKG_DIR}/wall/conffiles)
endif()

# ---- maintainer scripts --------------------------------------------------------------------
# cw_deb_scripts(COMP PKG UNIT STATE CONFFILES EXTRA): postinst/prerm/postrm/conffiles for a
# component, written into the build tree with mode 0755.
function(cw_deb_scripts comp pkg unit state conffiles extra)
  set(dir ${CW_PKG_DIR}/${comp})
  file(MAKE_DIRECTORY ${dir})
  set(PKG ${pkg})
  set(UNIT ${unit})
  set(STATE ${state})
  string(REPLACE ";" " " CONFFILES "${conffiles}")
  set(EXTRA_POSTINST "${extra}")
  set(extra_files "")
  foreach(script postinst prerm postrm)
    configure_file(${CMAKE_SOURCE_DIR}/packaging/debian/${script}.in ${dir}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                   GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    list(APPEND extra_files ${dir}/${script})
  endforeach()
  string(REPLACE ";" "\n" conf_lines "${conffiles}")
  file(WRITE ${dir}/conffiles "${conf_lines}\n")
  list(APPEND extra_files ${dir}/conffiles)
  string(TOUPPER ${comp} COMP)
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA "${extra_files}" PARENT_SCOPE)
endfunction()

cw_deb_scripts(hub citywall-hub citywall-hub.service
               "/var/lib/citywall/hub.db /var/lib/citywall/hub.db-*"
               "/etc/citywall/hub.yaml" "")
cw_deb_scripts(gateway citywall-gateway citywall-gateway.service
               "/var/lib/citywall/gateway.db /var/lib/citywall/gateway.db-* /var/lib/citywall/drop"
               "/etc/citywall/gateway.yaml"
               "install -d -o citywall -g citywall -m 0750 /var/lib/citywall/drop /var/lib/citywall/drop/windows")

# ---- CPack -------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME citywall)
set(CPACK_PACKAGE_VENDOR "citywall")
set(CPACK_PACKAGE_VERSION ${CW_DEB_VERSION})
set(CPACK_PACKAGE_CONTACT "citywall maintainers <citywall@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${CW_DEB_COMPONENTS})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/citywall")

set(CPACK_DEBIAN_HUB_PACKAGE_NAME citywall-hub)
# fonts-noto-cjk: the PDF reports (server/stats_render_pdf.c) are set in Noto Sans CJK
set(CPACK_DEBIAN_HUB_PACKAGE_DEPENDS "adduser, fonts-noto-cjk, citywall-common (= ${CW_DEB_VERSION})")
set(CPACK_DEBIAN_HUB_DESCRIPTION
    "citywall hub: ingest, durable store, live KPIs, alerts, fan-out, REST API, dashboard\n The city's one hub (SPEC: citywall-hub), run by systemd as the citywall user.")

set(CPACK_DEBIAN_GATEWAY_PACKAGE_NAME citywall-gateway)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS "adduser, unixodbc")
# ODBC drivers for the SQL tailer; rtspsrc (plugins-good) for camera probing
set(CPACK_DEBIAN_GATEWAY_PACKAGE_RECOMMENDS
    "libsqliteodbc | odbc-postgresql, gstreamer1.0-plugins-good")
set(CPACK_DEBIAN_GATEWAY_DESCRIPTION
    "citywall hall gateway: vendor systems to a durable outbox to the hub\n Webhooks, SQL tables over ODBC and CSV folders mapped to citywall events.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME citywall-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS
    "citywall-common (= ${CW_DEB_VERSION}), gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-plugins-ugly")
set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS "gstreamer1.0-x, fonts-noto-cjk")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "citywall simulator and benchmark\n citywall-sim (demo traffic, RTSP cameras) and citywall-bench.")

set(CPACK_DEBIAN_COMMON_PACKAGE_NAME citywall-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_COMMON_DESCRIPTION
    "citywall shared data: the map outline and the demo city\n Used by citywall-hub, citywall-wall and citywall-tools.")

set(CPACK_DEBIAN_WALL_PACKAGE_NAME citywall-wall)
set(CPACK_DEBIAN_WALL_PACKAGE_DEPENDS
    "citywall-common (= ${CW_DEB_VERSION}), gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-libav, fonts-noto-cjk, libgl1-mesa-dri")
set(CPACK_DEBIAN_WALL_DESCRIPTION
    "citywall wall: native SDL2/OpenGL/GStreamer video-wall renderer\n With a systemd user unit for kiosk wall PCs.")

include(CPack)
