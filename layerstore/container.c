/* container.c - in progress */
#include "layerstore.h"
