/* in progress */
#include "spec.h"
