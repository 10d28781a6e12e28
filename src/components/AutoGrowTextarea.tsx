import { useLayoutEffect, useRef, type TextareaHTMLAttributes } from 'react';

/** A textarea as tall as its text (never shorter than `rows`), so long answers need no inner scroll. */
export function AutoGrowTextarea(props: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const ref = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight + el.offsetHeight - el.clientHeight}px`;
  }, [props.value]);
  return <textarea ref={ref} {...props} />;
}
