/* tessera-node --config FILE: the edge daemon (docs/node.md). The logic is
 * in the tessera-node library so tests can run a node in-process. */
#include "tessera/node.h"

int main(int argc, char **argv) { return tsr_node_main(argc, argv); }
