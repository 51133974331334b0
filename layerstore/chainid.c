/* chainid.c - in progress */
#include "layerstore.h"
