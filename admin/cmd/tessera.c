/* tessera: the operator CLI (keys, games, ledgers, draw verification). */
#include "tessera/admin.h"

int main(int argc, char **argv) { return tsr_admin_main(argc, argv); }
