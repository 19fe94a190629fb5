#include "unit.h"
static void none(void)
{
}
UNIT_MAIN(T(none))
