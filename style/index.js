import './base.css';
import './external.css';
