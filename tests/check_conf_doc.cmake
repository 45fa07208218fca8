# Fails when docs/CONFIGURATION.md differs from gen_conf_doc's output.
execute_process(COMMAND ${GEN} OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gen_conf_doc failed: ${rc}")
endif()
file(READ ${DOC} current)
if(NOT generated STREQUAL current)
  message(FATAL_ERROR "docs/CONFIGURATION.md is out of date: regenerate it "
                      "with build/gen_conf_doc > docs/CONFIGURATION.md")
endif()
