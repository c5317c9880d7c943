/** The error numbers the modelled paths return, negated as the kernel returns them (include/uapi/asm-generic/errno-base.h). */
export const EAGAIN = -11;
export const ENOMEM = -12;
export const EFAULT = -14;
export const EBUSY = -16;
