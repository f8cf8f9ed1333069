/* tessera-central: the reconciler daemon (`run`) and the operator's admin
 * commands (docs/streaming.md). The logic lives in the tessera-central
 * library so tests can drive it in-process. */
#include "tessera/central.h"

int main(int argc, char **argv) { return tsr_central_main(argc, argv); }
