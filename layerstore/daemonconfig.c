/* daemonconfig.c - in progress */
#include "layerstore.h"
