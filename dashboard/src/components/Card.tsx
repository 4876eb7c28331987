import type { ReactNode } from 'react';

interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  footer?: ReactNode;
  children?: ReactNode;
  /** Content edge to edge (tables). */
  flush?: boolean;
  tone?: 'danger';
  className?: string;
  /** Labels the section by its title for assistive technology. */
  id?: string;
}

export function Card({ title, description, actions, footer, children, flush, tone, className, id }: CardProps) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section
      className={['card', tone === 'danger' ? 'card-danger' : '', className ?? ''].filter(Boolean).join(' ')}
      aria-labelledby={headingId}
      id={id}
    >
      {(title || actions) && (
        <header className="card-header">
          <div>
            {title && <h2 id={headingId}>{title}</h2>}
            {description && <p>{description}</p>}
          </div>
          {actions && <div className="row">{actions}</div>}
        </header>
      )}
      {children !== undefined && (flush ? children : <div className="card-body">{children}</div>)}
      {footer && <footer className="card-footer">{footer}</footer>}
    </section>
  );
}
