/* inputs.c - in progress */
#include "layerstore.h"
